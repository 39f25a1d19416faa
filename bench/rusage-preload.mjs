// Preloaded into every measured process (the agent and the bare-node baseline alike): on exit it
// writes the process's own CPU time and peak RSS to fd 3, which the harness reads.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  try {
    writeSync(
      3,
      JSON.stringify({ userUs: u.userCPUTime, systemUs: u.systemCPUTime, maxRssKb: u.maxRSS }),
    );
  } catch {
    // no fd 3: run outside the harness
  }
});
