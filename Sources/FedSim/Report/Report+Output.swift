import Foundation

extension Report {
  /// The table of runs: one row per run, the final numbers of its summary.
  var runTable: (header: [String], rows: [[String]]) {
    let metric = self.metric
    let header = [
      "run", "status", "seed", "aggregator", "rounds", "final \(metric.label)", "final test loss", "final ε", "bytes sent", "simulated s",
      "wall s",
    ]
    var rows: [[String]] = []
    for run in allRuns { rows.append(Self.row(of: run, final: metric.final)) }
    return (header, rows)
  }

  /// The table of sweep cells: mean ± sample sd over the seeds that finished.
  var cellTable: (header: [String], rows: [[String]]) {
    let metric = self.metric
    let header = ["cell", "runs", "finished", "final \(metric.label) (mean ± sd)", "final ε (mean)"]
    let rows = groups.map { group -> [String] in
      let finished = group.runs.filter { $0.finished && $0.status == "completed" }
      let values = finished.compactMap { $0.summary[metric.final] }.filter(\.isFinite)
      let epsilons = finished.compactMap { $0.summary["final_epsilon"] }
      var text = ""
      if values.count == group.runs.count, !values.isEmpty {
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = values.count > 1 ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
        text = values.count > 1 ? "\(Self.cell(mean)) ± \(Self.cell(sd))" : Self.cell(mean)
      } else {
        // Diverged, failed or unfinished seeds: no mean is shown (never averaged away).
        text = "incomplete (\(values.count)/\(group.runs.count) completed)"
      }
      return [
        group.label, "\(group.runs.count)", "\(finished.count)", text,
        epsilons.isEmpty ? "" : Self.cell(epsilons.reduce(0, +) / Double(epsilons.count)),
      ]
    }
    return (header, rows)
  }

  static func row(of run: RunData, final: String) -> [String] {
    var bytes = 0.0
    for record in run.rounds {
      bytes += ((record["bytes_up"] as? NSNumber)?.doubleValue ?? 0) + ((record["bytes_down"] as? NSNumber)?.doubleValue ?? 0)
    }
    let summary = run.summary
    var cells = [run.label, run.status, run.seed.map { "\($0)" } ?? "", run.scenario?.aggregator.name ?? ""]
    cells.append(summary["rounds"].map { "\(Int($0))" } ?? "\(run.rounds.count)")
    for key in [final, "final_mean_test_loss", "final_epsilon"] { cells.append(summary[key].map(cell) ?? "") }
    cells.append(cell(bytes))
    for key in ["simulated_time", "wall_time_s"] { cells.append(summary[key].map(cell) ?? "") }
    return cells
  }

  static func cell(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
    return String(format: "%.6g", value)
  }

  static func markdown(_ table: (header: [String], rows: [[String]])) -> String {
    func line(_ cells: [String]) -> String {
      "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
    }
    return ([line(table.header), line(table.header.map { _ in "---" })] + table.rows.map(line)).joined(separator: "\n") + "\n"
  }

  static func csv(_ table: (header: [String], rows: [[String]])) -> String {
    func field(_ text: String) -> String {
      text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
    return ([table.header] + table.rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  static func html(_ table: (header: [String], rows: [[String]])) -> String {
    let head = table.header.map { "<th>\(SVGCanvas.escape($0))</th>" }.joined()
    let body = table.rows.map { "<tr>" + $0.map { "<td>\(SVGCanvas.escape($0))</td>" }.joined() + "</tr>" }.joined(separator: "\n")
    return "<table>\n<thead><tr>\(head)</tr></thead>\n<tbody>\n\(body)\n</tbody>\n</table>"
  }

  /// What the page says the report is of: scenarios, seeds, FedSim version, BLAS kernels.
  var provenance: [(String, String)] {
    let names = Array(Set(allRuns.compactMap { $0.scenario?.name ?? $0.labels["name"] })).sorted()
    let seeds = Array(Set(allRuns.compactMap(\.seed))).sorted().map(String.init)
    let kernels = Array(Set(allRuns.compactMap { $0.labels["blas_kernel"] })).sorted()
    return [
      ("scenario", names.isEmpty ? "unknown" : names.joined(separator: ", ")),
      ("runs", "\(allRuns.count) in \(groups.count) \(groups.count == 1 ? "group" : "groups")"),
      ("seeds", seeds.isEmpty ? "unknown" : seeds.joined(separator: ", ")),
      ("FedSim", FedSimVersion.string),
      ("BLAS kernel", kernels.isEmpty ? "unknown" : kernels.joined(separator: ", ")),
    ]
  }

  func page() -> String {
    let facts = provenance.map { "<dt>\(SVGCanvas.escape($0.0))</dt><dd>\(SVGCanvas.escape($0.1))</dd>" }.joined(separator: "\n")
    let warnings =
      notes.isEmpty
      ? ""
      : "<section class=\"notes\"><h2>Notes</h2><ul>\n" + notes.map { "<li>\(SVGCanvas.escape($0))</li>" }.joined(separator: "\n")
        + "\n</ul></section>"
    let charts = figures.map { figure in
      """
      <figure id="\(figure.name)">
      \(figure.svg)
      <figcaption>\(SVGCanvas.escape(figure.title))\(figure.caption.isEmpty ? "" : ". " + SVGCanvas.escape(figure.caption)) <a href="\(figure.name).svg">SVG</a></figcaption>
      </figure>
      """
    }.joined(separator: "\n")
    return """
      <!DOCTYPE html>
      <html lang="en" xmlns="http://www.w3.org/1999/xhtml">
      <head>
      <meta charset="utf-8"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <title>FedSim report: \(SVGCanvas.escape(provenance[0].1))</title>
      <style>
      body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1460px; color: #222; padding: 0 1em; }
      dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
      dt { font-weight: bold; }
      .charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
      figure { margin: 0; border: 1px solid #ddd; padding: 0.5em; flex: 1 1 560px; max-width: 700px; }
      figure svg { max-width: 100%; height: auto; display: block; }
      figcaption { font-size: 0.85em; color: #555; max-width: 640px; }
      table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
      th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
      .notes { background: #fff8e5; border: 1px solid #e6c200; padding: 0.5em 1em; }
      </style>
      </head>
      <body>
      <h1>FedSim report</h1>
      <dl>
      \(facts)
      </dl>
      \(warnings)
      <h2>Charts</h2>
      <div class="charts">
      \(charts)
      </div>
      <h2>Runs</h2>
      \(Self.html(runTable))
      <h2>Cells</h2>
      \(Self.html(cellTable))
      <p>Tables also in runs.md, runs.csv, cells.md and cells.csv.</p>
      </body>
      </html>

      """
  }

  /// Writes report.html, one SVG per chart and the tables into `directory`, which must not exist
  /// unless `force` (then only the report's own files are replaced).
  public func write(to directory: URL, force: Bool) throws(RunError) {
    let manager = FileManager.default
    if manager.fileExists(atPath: directory.path) && !force {
      throw .output(path: directory.path, reason: "already exists; choose another --out, or pass --force to replace the report in it")
    }
    do {
      try manager.createDirectory(at: directory, withIntermediateDirectories: true)
      for figure in figures {
        try (figure.svg + "\n").write(to: directory.appendingPathComponent(figure.name + ".svg"), atomically: true, encoding: .utf8)
      }
      try Self.markdown(runTable).write(to: directory.appendingPathComponent("runs.md"), atomically: true, encoding: .utf8)
      try Self.csv(runTable).write(to: directory.appendingPathComponent("runs.csv"), atomically: true, encoding: .utf8)
      try Self.markdown(cellTable).write(to: directory.appendingPathComponent("cells.md"), atomically: true, encoding: .utf8)
      try Self.csv(cellTable).write(to: directory.appendingPathComponent("cells.csv"), atomically: true, encoding: .utf8)
      try page().write(to: directory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
    } catch { throw .output(path: directory.path, reason: error.localizedDescription) }
  }
}
