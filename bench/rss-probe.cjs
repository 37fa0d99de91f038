// Preloaded into the CLI by the benchmark (node --require): records the process's peak RSS at exit.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  if (process.env.LT_BENCH_RSS_FILE) writeFileSync(process.env.LT_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
});
