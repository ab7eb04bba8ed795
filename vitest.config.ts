import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-driver tests boot containers and VMs; model tests finish in milliseconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
