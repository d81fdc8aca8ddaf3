/*
 * Kogi default theme: small progressive enhancements.
 * Every page works without this file.
 */
(function () {
  "use strict";

  // Flash banners: the dismiss control is a plain link that reloads the
  // page (flashes are shown once). With JavaScript we just hide it.
  function setupDismiss() {
    var links = document.querySelectorAll("[data-kogi-dismiss]");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        var box = link.closest(".flash");
        if (!box) {
          return;
        }
        event.preventDefault();
        var region = box.closest(".flash-region") || box;
        region.parentNode.removeChild(region);
        var main = document.getElementById("main");
        if (main) {
          main.focus();
        }
      });
    });
  }

  // Password fields: add a show/hide toggle. Labels come from data-*
  // attributes so they are translated by the server.
  function setupReveal() {
    var inputs = document.querySelectorAll("input[data-kogi-reveal]");
    Array.prototype.forEach.call(inputs, function (input) {
      var wrap = input.parentNode;
      if (!wrap || !input.id) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "reveal-btn";
      button.setAttribute("aria-controls", input.id);

      function render(shown) {
        button.textContent = shown ? input.dataset.hide : input.dataset.show;
        button.setAttribute(
          "aria-label",
          shown ? input.dataset.hideLabel : input.dataset.showLabel
        );
      }

      button.addEventListener("click", function () {
        var shown = input.type === "password";
        input.type = shown ? "text" : "password";
        render(shown);
        input.focus();
      });

      // Switch back to a password field before the form is sent, so the
      // browser doesn't keep the value in its ordinary form history.
      if (input.form) {
        input.form.addEventListener("submit", function () {
          input.type = "password";
        });
      }

      render(false);
      input.classList.add("has-reveal");
      wrap.appendChild(button);
    });
  }

  function init() {
    setupDismiss();
    setupReveal();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
