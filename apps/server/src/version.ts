/** The service version reported in the OpenAPI document. */
export const version = "0.1.0";
