// The API reference, from the OpenAPI document the server generates. Served offline.
window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
