export * from "./adapter";
export * from "./safetensors";
export * from "./profile";
export * from "./scale";
