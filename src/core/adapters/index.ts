export * from "./adapter";
export * from "./safetensors";
