// Differential-test helper: evaluate Salesforce formulas with formulon.
//
// stdin:  {"now": ISO-8601 UTC, "cases": [{"formula": str, "identifiers": {name: {dataType, value, options}}}]}
//         date / datetime / time values arrive as ISO strings and become JS Dates here.
// stdout: [{"type": "literal", "dataType": str, "value": json} | {"type": "error", "errorType": str,
//           "message": str} | {"type": "crash", "message": str}], one per case, in order.
//         Date results are printed as ISO strings.
// `now` pins TODAY() and NOW(): formulon reads the real clock through `new Date()`.
'use strict';

const fs = require('fs');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const fixedNow = Date.parse(input.now);
const RealDate = Date;
class PinnedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixedNow);
    else super(...args);
  }
  static now() { return fixedNow; }
}
global.Date = PinnedDate;

const formulon = require('formulon');

const toJs = (identifier) => {
  const { dataType, value } = identifier;
  if (value === null || value === undefined) return identifier;
  if (dataType === 'date' || dataType === 'datetime' || dataType === 'time') {
    return { ...identifier, value: new PinnedDate(value) };
  }
  return identifier;
};

const toJson = (value) => (value instanceof RealDate ? value.toISOString() : value);

const results = input.cases.map(({ formula, identifiers }) => {
  const substitutions = {};
  for (const [name, identifier] of Object.entries(identifiers || {})) {
    substitutions[name] = { type: 'literal', options: {}, ...toJs(identifier) };
  }
  try {
    const result = formulon.parse(formula, substitutions);
    if (result.type === 'error') {
      return { type: 'error', errorType: result.errorType, message: result.message };
    }
    return { type: 'literal', dataType: result.dataType, value: toJson(result.value) };
  } catch (err) {
    return { type: 'crash', message: String(err && err.message ? err.message : err) };
  }
});

process.stdout.write(JSON.stringify(results));
