export * from "./types";
export * from "./pairing";
export * from "./caselist";
export * from "./run";
export * from "./table";
export * from "./serialise";
export * from "./format";
export * from "./bootstrap";
