export * from "./names";
export * from "./provenance";
export * from "./dice";
