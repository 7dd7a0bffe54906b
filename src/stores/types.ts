import type { StateCreator } from "zustand";
import type { AppState } from "./store";

export type Slice<T> = StateCreator<AppState, [], [], T>;

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
