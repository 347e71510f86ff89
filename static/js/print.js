// "Print" buttons (marked data-print) open the browser's print dialog: a module rather than an
// inline onclick, so that pages carry no inline script.

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
