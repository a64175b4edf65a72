// Parse and bind KQL with Microsoft's Kusto.Language (npm @kusto/language-service-next).
// stdin: {"tables": {"Name": "(Col:type, ...)"}, "queries": [{"name": "...", "text": "..."}]}
// stdout: [{"name", "diagnostics": [{"severity", "code", "message", "start", "length"}],
//           "columns": {"Col": "type"}, "operators": ["where", ...], "functions": ["ago", ...]}]
"use strict";
require("@kusto/language-service-next/bridge.min.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");

const K = Kusto.Language;

function readStdin() {
  return require("fs").readFileSync(0, "utf8");
}

function globalsFor(tables) {
  const symbols = Object.entries(tables).map(
    ([name, schema]) => new K.Symbols.TableSymbol.$ctor7(name, schema, null)
  );
  const database = new K.Symbols.DatabaseSymbol.$ctor1("workspace", symbols, false);
  return K.GlobalState.Default.WithDatabase(database);
}

// Query operator node kinds -> the operator's keyword (e.g. ExtendOperator -> "extend").
function operatorsAndFunctions(code) {
  const operators = new Set();
  const functions = new Set();
  K.Syntax.SyntaxElement.WalkNodes(code.Syntax, (node) => {
    const kind = node.constructor.$$name.split(".").pop();
    if (kind.endsWith("Operator") && node.GetFirstToken) {
      const first = node.GetFirstToken();
      operators.add(first ? first.Text : kind);
    }
    if (kind === "FunctionCallExpression" && node.Name) {
      functions.add(node.Name.SimpleName);
    }
  });
  return { operators: [...operators].sort(), functions: [...functions].sort() };
}

// The columns of a tabular result, as {name: type} (the schema a transformation writes to its table).
function resultColumns(code) {
  const result = code.ResultType;
  const columns = {};
  if (!result || !result.Columns) {
    return columns;
  }
  for (let i = 0; i < result.Columns.Count; i++) {
    const column = result.Columns.getItem(i);
    columns[column.Name] = column.Type.Name;
  }
  return columns;
}

function main() {
  const input = JSON.parse(readStdin());
  const globals = globalsFor(input.tables);
  const results = input.queries.map((query) => {
    const code = K.KustoCode.ParseAndAnalyze(query.text, globals);
    const list = code.GetDiagnostics();
    const diagnostics = [];
    for (let i = 0; i < list.Count; i++) {
      const d = list.getItem(i);
      diagnostics.push({ severity: d.Severity, code: d.Code, message: d.Message, start: d.Start, length: d.Length });
    }
    return { name: query.name, diagnostics, columns: resultColumns(code), ...operatorsAndFunctions(code) };
  });
  process.stdout.write(JSON.stringify(results));
}

main();
