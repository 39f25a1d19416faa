// The fake machine root moved to simulator/boot-root.ts (the fleet simulator is product code and
// must not import from test/); this re-exports it for the tests.
export * from '../../simulator/boot-root.js';
