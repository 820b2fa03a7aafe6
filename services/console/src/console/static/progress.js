/* Say that something is under way — a file being checked, a report being generated. No build step. */
document.addEventListener("submit", function (event) {
  var form = event.target;
  var text = form.getAttribute("data-busy-text");
  var button = form.querySelector("button[type=submit]");
  if (text && button) { button.textContent = text; button.setAttribute("aria-busy", "true"); }
});
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[data-busy-text]") : null;
  var status = document.getElementById("download-status");
  if (!link || !status) { return; }
  status.textContent = link.getAttribute("data-busy-text");
  status.hidden = false;
  setTimeout(function () { status.hidden = true; }, 8000);
});
