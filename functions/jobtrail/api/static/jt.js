/* jobtrail jt.js: keeps the jt_click id a jobtrail short link added to this page's URL in
   a first-party cookie for 30 days, and puts it in every form's hidden jt_click field, so
   that an application can be credited to the link, channel and person that brought it.
   No dependencies; window.jobtrail.clickId holds the id for an ATS's own source field. */
(function (w, d) {
  "use strict";
  var NAME = "jt_click", DAYS = 30, VALID = /^[A-Za-z0-9_-]{1,64}$/;
  function fromUrl() {
    var m = w.location.search.match(/[?&]jt_click=([^&#]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function fromCookie() {
    var m = d.cookie.match(/(?:^|;\s*)jt_click=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  var id = fromUrl();
  if (VALID.test(id)) {
    d.cookie = NAME + "=" + encodeURIComponent(id) + "; Max-Age=" + DAYS * 86400 +
      "; Path=/; SameSite=Lax" + (w.location.protocol === "https:" ? "; Secure" : "");
  } else {
    id = fromCookie();
    if (!VALID.test(id)) id = "";
  }
  function fill(form) {
    if (!id || !form || form.nodeName !== "FORM") return;
    var field = form.querySelector("input[name=" + NAME + "]");
    if (!field) {
      field = d.createElement("input");
      field.type = "hidden";
      field.name = NAME;
      form.appendChild(field);
    }
    if (!field.value) field.value = id;
  }
  function fillAll() {
    for (var i = 0; i < d.forms.length; i++) fill(d.forms[i]);
  }
  w.jobtrail = { clickId: id || null, fill: fill };
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", fillAll);
  else fillAll();
  // Forms added later (a single-page careers site) get the field when they are sent.
  d.addEventListener("submit", function (e) { fill(e.target); }, true);
})(window, document);
