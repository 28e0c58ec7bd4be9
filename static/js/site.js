// The only script on the site (the Content-Security-Policy allows no inline script).
// Every page works without it; it adds conveniences only.
document.documentElement.classList.add("js");
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
