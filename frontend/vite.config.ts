/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `make dev`: the Vite dev server on :3000 forwards the API to the Flask app on :8000
// (API_URL overrides it), so the UI uses relative URLs in dev and in production alike.
const api = process.env.API_URL ?? "http://localhost:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 3000,
    strictPort: true,
    proxy: {
      "/api": { target: api, changeOrigin: false },
    },
  },
  build: {
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // jsdom renders of the whole App take seconds on a loaded 2-core machine; 5 s flaked
    testTimeout: 20_000,
  },
});
