/** Preloaded with `node --require` into a command under test: prints its peak memory (kB) on stderr at exit. */
process.on('exit', () => {
  process.stderr.write(`maxRss ${process.resourceUsage().maxRSS}\n`);
});
