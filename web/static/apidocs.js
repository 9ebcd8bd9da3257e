// The API documentation page (/api/docs): Swagger UI reading Tandem's own
// description from this server. No request leaves the machine: the
// validator badge, which would call validator.swagger.io, is off.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
