// Replaced by the build (tsup's `define`) with the version of package.json.
declare const __SDK_VERSION__: string | undefined;

/** This SDK's version (`0.0.0-dev` when run from source). */
export const sdkVersion: string = typeof __SDK_VERSION__ === "string" ? __SDK_VERSION__ : "0.0.0-dev";

/** Sent with every call as `X-Usersvc-Sdk`; the service logs it, so operators see which SDK versions call it. */
export const userAgent = `@usersvc/sdk/${sdkVersion}`;
