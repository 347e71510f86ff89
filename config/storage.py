"""Static files as production serves them: whitenoise's compressed, hashed manifest storage,
with the live room's ES module imports rewritten to the hashed names as well.

Django 5.2's ManifestStaticFilesStorage rewrites `import … from "./x.js";`, `export … from
"./x.js";`, `import "./x.js";` and `import("./x.js")` when `support_js_module_import_aggregation`
is on; without it the browser would ask for `live/socket.js` while only `live/socket.<hash>.js`
is cached for ever. Write relative specifiers starting with `./` or `../`, each statement ending
in a semicolon (tests/test_static_modules.py checks every import in every collected file).
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
