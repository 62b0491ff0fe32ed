// GOV.UK Frontend's components, started from a file: the Content-Security-Policy allows no
// inline script, so the class its CSS waits for is set here rather than in the page.
import { initAll, isSupported } from "./vendor/govuk_frontend/govuk-frontend.min.js";

if (isSupported()) {
  document.body.classList.add("govuk-frontend-supported");
  initAll();
}
