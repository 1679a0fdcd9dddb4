// Reference: validator.js isIdentityCard(s, 'zh-CN') over the same inputs as bench_ident.c.
// It checks only resident identity numbers (not USCCs), so it does less work per input than certlib.
const fs = require('fs');
const { isIdentityCard } = require('validator');

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
const runs = 5;
const rates = [];
let valid = 0;
for (const s of lines) if (isIdentityCard(s, 'zh-CN')) valid++;  // warm-up, JIT
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  let v = 0;
  for (const s of lines) if (isIdentityCard(s, 'zh-CN')) v++;
  const t1 = process.hrtime.bigint();
  rates.push(lines.length / (Number(t1 - t0) / 1e9));
}
rates.sort((a, b) => a - b);
console.log(`validator.js ${require('validator/package.json').version} isIdentityCard(zh-CN): median ` +
  `${(rates[runs >> 1] / 1e6).toFixed(2)} M checks/s over ${runs} runs (accepts ${valid} of ${lines.length})`);
console.log(`REFERENCE_RATE ${Math.round(rates[runs >> 1])}`);
