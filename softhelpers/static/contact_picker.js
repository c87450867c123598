// The invoice form's contact picker (issue 14): an ARIA 1.2 combobox over the contact lookup.
// Typing asks /c/<company>/contacts/lookup/?q= for at most 20 names; arrow keys move through them
// (aria-activedescendant), Enter or a click chooses, Escape closes. The chosen id goes into the hidden
// field the form validates. Without this script the text box still works: the server takes the
// contact of that name or asks which one (ledger/forms.py ContactField).
(function () {
  "use strict";

  function enhance(root) {
    var input = root.querySelector("[data-picker-input]");
    var value = root.querySelector("[data-picker-value]");
    var help = root.querySelector("[data-picker-help]");
    var url = root.getAttribute("data-lookup-url");
    if (!input || !value || !url) return;

    var listbox = document.createElement("ul");
    listbox.id = input.id + "_listbox";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Matching contacts");
    listbox.hidden = true;
    input.insertAdjacentElement("afterend", listbox);

    var status = document.createElement("p");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    status.setAttribute("data-picker-status", "");
    root.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    if (help) help.textContent = "Type part of a name, then choose a contact with the arrow keys and Enter, or click it.";

    var options = [];
    var active = -1;
    var chosenName = value.value ? input.value : null;
    var timer = null;
    var pending = null;
    var asked = 0;

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.element.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      var element = options[index].element;
      input.setAttribute("aria-activedescendant", element.id);
      element.scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var option = options[index];
      if (!option) return;
      value.value = String(option.id);
      input.value = option.name;
      chosenName = option.name;
      close();
      status.textContent = option.name + " chosen.";
    }

    function show(results) {
      listbox.textContent = "";
      options = results.map(function (result, i) {
        var element = document.createElement("li");
        element.id = listbox.id + "_" + i;
        element.setAttribute("role", "option");
        element.setAttribute("aria-selected", "false");
        element.textContent = result.name;
        element.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the text box
          choose(i);
        });
        listbox.appendChild(element);
        return { id: result.id, name: result.name, element: element };
      });
      if (!options.length) {
        var empty = document.createElement("li");
        empty.className = "picker-empty";
        empty.setAttribute("role", "option");
        empty.setAttribute("aria-disabled", "true");
        empty.setAttribute("aria-selected", "false");
        empty.id = listbox.id + "_none";
        empty.textContent = "No contact matches.";
        listbox.appendChild(empty);
      }
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      status.textContent = options.length ? options.length + (options.length === 1 ? " contact" : " contacts") +
        " found; use the arrow keys to choose." : "No contact matches.";
    }

    function ask() {
      var query = input.value.trim();
      var ticket = ++asked;
      if (pending) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) throw new Error("lookup failed");
          return response.json();
        })
        .then(function (data) {
          if (ticket === asked && document.activeElement === input) show(data.results || []);
        })
        .catch(function () { /* aborted or offline: the server still resolves a typed name */ });
    }

    input.addEventListener("input", function () {
      if (input.value !== chosenName) value.value = ""; // typing undoes the choice until one is made
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });

    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { ask(); return; }
        if (options.length) highlight(active < options.length - 1 ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open && options.length) highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); // choosing is not saving
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".contact-picker"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
