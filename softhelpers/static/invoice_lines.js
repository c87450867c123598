// Invoice lines in place (issue 14): "Add line" and "Remove" change the formset's rows without a round trip,
// each line shows its amount and the total follows as you type. Without this script the same buttons submit
// the form and the server answers with one row more or less.
//
// Amounts are computed as the server does: exact decimals (BigInt), a line's amount rounded to cents, the
// total summed unrounded, both shown with the currency's own decimals (half-even, like Babel), symbol and
// grouping (ledger/money.py, en_US: "-$1,234.50", "¥1,250", "BHD1.250").
(function () {
  "use strict";

  var section = document.querySelector("[data-invoice-lines]");
  if (!section) { return; }
  var form = section.closest("form");
  var body = section.querySelector("[data-lines-body]");
  var template = section.querySelector("[data-line-template]");
  var addButton = section.querySelector("[data-line-add]");
  var totalOutput = section.querySelector("[data-lines-total]");
  var note = section.querySelector("[data-lines-note]");
  var totalForms = form.querySelector("input[name='lines-TOTAL_FORMS']");
  var initialForms = form.querySelector("input[name='lines-INITIAL_FORMS']");
  var maxForms = parseInt(form.querySelector("input[name='lines-MAX_NUM_FORMS']").value, 10);
  var formatsScript = document.getElementById("line-currency-formats");
  var formats = formatsScript ? JSON.parse(formatsScript.textContent) : {};
  var currencyField = form.elements.namedItem("currency");

  // --- exact decimal arithmetic ------------------------------------------------------------------
  function parseDecimal(text) {
    var match = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text || "");
    if (!match || (match[2] === "" && !match[3])) { return null; }
    var fraction = match[3] || "";
    var digits = BigInt((match[2] || "0") + fraction);
    return { value: match[1] === "-" ? -digits : digits, scale: fraction.length };
  }
  function pow10(n) { return BigInt(10) ** BigInt(n); }
  function rescale(number, scale) {
    if (scale >= number.scale) { return number.value * pow10(scale - number.scale); }
    var divisor = pow10(number.scale - scale);
    var negative = number.value < 0n;
    var magnitude = negative ? -number.value : number.value;
    var quotient = magnitude / divisor;
    var twice = (magnitude % divisor) * 2n;
    if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) { quotient += 1n; }  // half-even
    return negative ? -quotient : quotient;
  }
  function multiply(a, b) { return { value: a.value * b.value, scale: a.scale + b.scale }; }
  function add(a, b) {
    var scale = Math.max(a.scale, b.scale);
    return { value: rescale(a, scale) + rescale(b, scale), scale: scale };
  }
  function currency() {
    var code = currencyField ? currencyField.value : "USD";
    return formats[code] || formats.USD || ["$", 2];
  }
  function formatMoney(number) {
    var format = currency();
    var decimals = format[1];
    var units = rescale(number, decimals);
    var sign = units < 0n ? "-" : "";
    var digits = (units < 0n ? -units : units).toString().padStart(decimals + 1, "0");
    var whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + format[0] + whole + (decimals ? "." + digits.slice(digits.length - decimals) : "");
  }

  // --- rows ----------------------------------------------------------------------------------------
  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-line]")); }
  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }

  function recalculate() {
    var total = { value: 0n, scale: 0 };
    rows().forEach(function (row) {
      var quantity = parseDecimal(field(row, "quantity").value);
      var price = parseDecimal(field(row, "unit_price").value);
      var output = row.querySelector("[data-line-amount]");
      if (quantity === null || price === null) { output.textContent = ""; return; }
      var product = multiply(quantity, price);
      total = add(total, product);
      output.textContent = formatMoney({ value: rescale(product, 2), scale: 2 });
    });
    totalOutput.textContent = formatMoney(total);
  }

  // Names, ids and labels follow the row's place, as Django's formset reads them: lines-0-…, lines-1-…
  function renumber() {
    var all = rows();
    all.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for]").forEach(function (element) {
        ["name", "id", "for"].forEach(function (attribute) {
          var value = element.getAttribute(attribute);
          if (value) { element.setAttribute(attribute, value.replace(/lines-(\d+|__prefix__)-/g, "lines-" + index + "-")); }
        });
      });
      row.querySelectorAll("[data-line-label]").forEach(function (label) {
        label.textContent = "Line " + (index + 1) + ": " + label.getAttribute("data-line-label");
      });
      var remove = row.querySelector("[data-line-remove]");
      remove.value = String(index);
      remove.querySelector(".sr-only").textContent = " line " + (index + 1);
    });
    totalForms.value = String(all.length);
    if (parseInt(initialForms.value, 10) > all.length) { initialForms.value = String(all.length); }
    var full = all.length >= maxForms;
    addButton.disabled = full;
    note.textContent = full ? "This invoice has the most lines allowed (" + maxForms + ")."
                            : "Empty lines are ignored. At most " + maxForms + " lines.";
  }

  function addLine() {
    if (rows().length >= maxForms) { return; }
    var row = template.content.querySelector("tr").cloneNode(true);
    body.appendChild(row);
    renumber();
    recalculate();
    field(row, "description").focus();
  }

  function removeLine(row) {
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    recalculate();
    (next ? next.querySelector("[data-line-remove]") : addButton).focus();
  }

  addButton.type = "button";
  rows().forEach(function (row) { row.querySelector("[data-line-remove]").type = "button"; });
  template.content.querySelector("[data-line-remove]").type = "button";

  section.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) { return; }
    if (target.hasAttribute("data-line-add")) { event.preventDefault(); addLine(); }
    if (target.hasAttribute("data-line-remove")) { event.preventDefault(); removeLine(target.closest("tr")); }
  });
  section.addEventListener("input", recalculate);
  if (currencyField) { currencyField.addEventListener("change", recalculate); }
  renumber();
  recalculate();
})();
