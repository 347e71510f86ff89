// The check-in scanner: where the browser reads QR codes (BarcodeDetector), a button opens the
// camera and submits the code it reads through the page's own form; elsewhere the page stays as
// served, a form for typing the code, which works without this module.

const strings = JSON.parse(document.getElementById("checkin-strings")?.textContent || "{}");
const camera = document.querySelector("[data-part=camera]");
const form = document.querySelector("[data-part=form]");

export function cameraSupported(win = window) {
  return "BarcodeDetector" in win && Boolean(win.navigator?.mediaDevices?.getUserMedia);
}

async function scan() {
  const video = camera.querySelector("[data-part=video]");
  const status = camera.querySelector("[data-part=camera-status]");
  let stream;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) throw new Error("qr_code");
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    status.textContent = strings.scanning || "";
    for (;;) {
      const codes = await detector.detect(video);
      if (codes.length) {
        form.querySelector("input[name=code]").value = codes[0].rawValue;
        form.requestSubmit();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch {
    status.textContent = strings.no_camera || "";
  } finally {
    if (stream) for (const track of stream.getTracks()) track.stop();
  }
}

if (camera && form && cameraSupported()) {
  camera.hidden = false;
  camera.querySelector("[data-action=camera]").addEventListener("click", scan);
}
document.documentElement.dataset.checkinScanner = cameraSupported() ? "camera" : "typed";
