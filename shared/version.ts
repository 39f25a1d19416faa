// bootwatch's version, reported as service.version. Kept equal to package.json's by a test, so the
// agent bundle needs no JSON import at boot.
export const BootwatchVersion = '0.1.0';
