import Foundation

/// The cross product of `--grid key=v1,v2` axes, each run over several seeds, summarised as a
/// comparison table (markdown and CSV) with mean ± standard deviation over seeds.
public struct Sweep {
  public struct Axis: Sendable, Equatable {
    public let key: String
    public let values: [String]
  }

  public let scenarioText: String
  public let file: String
  public let baseDirectory: URL?
  public let axes: [Axis]
  public let seeds: Int
  public let overrides: [String]

  public init(scenarioText: String, file: String, baseDirectory: URL?, grid: [String], seeds: Int, overrides: [String])
    throws(ScenarioError)
  {
    self.scenarioText = scenarioText
    self.file = file
    self.baseDirectory = baseDirectory
    self.seeds = seeds
    self.overrides = overrides
    var axes: [Axis] = []
    for spec in grid {
      guard let equals = spec.firstIndex(of: "="), equals != spec.startIndex else {
        throw ScenarioError(issues: [
          ScenarioIssue(file: "--grid \(spec)", line: 1, column: 1, path: "", message: "expected key.path=value1,value2", suggestion: nil)
        ])
      }
      let values = Self.splitValues(spec[spec.index(after: equals)...])
      guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else {
        throw ScenarioError(issues: [
          ScenarioIssue(
            file: "--grid \(spec)", line: 1, column: spec.distance(from: spec.startIndex, to: equals) + 2,
            path: String(spec[..<equals]), message: "expected a comma-separated list of values", suggestion: nil)
        ])
      }
      axes.append(Axis(key: String(spec[..<equals]), values: values))
    }
    self.axes = axes
  }

  /// The comma-separated values of an axis. Commas inside `{…}`, `[…]` or quotes belong to the
  /// value, so an axis can range over whole sections: `aggregator={name: fedavg},{name: median,
  /// options: {trim: 0.2}}` compares two aggregators with their own options.
  static func splitValues(_ text: Substring) -> [String] {
    var values: [String] = []
    var current = ""
    var depth = 0
    var quote: Character? = nil
    for character in text {
      if let open = quote {
        if character == open { quote = nil }
      } else if character == "\"" || character == "'" {
        quote = character
      } else if character == "{" || character == "[" {
        depth += 1
      } else if character == "}" || character == "]" {
        depth -= 1
      } else if character == "," && depth == 0 {
        values.append(current.trimmingCharacters(in: .whitespaces))
        current = ""
        continue
      }
      current.append(character)
    }
    values.append(current.trimmingCharacters(in: .whitespaces))
    return values
  }

  /// A value as a folder-name part: a section's scalars joined (`{name: median, options: {trim:
  /// 0.2}}` → `median_trim=0.2`), other values as given.
  static func labelPart(_ value: String) -> String {
    guard value.hasPrefix("{") else { return value }
    var text = value
    for token in ["{", "}", "[", "]", "\"", "'"] { text = text.replacingOccurrences(of: token, with: "") }
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { part -> [String] in
      // "options: trim: 0.2" after the braces are gone: keep the innermost key and the value.
      let pieces = part.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      guard let value = pieces.last else { return [] }
      if pieces.count == 1 { return [value] }
      let key = pieces[pieces.count - 2]
      return [key == "name" ? value : "\(key)=\(value)"]
    }
    return parts.joined(separator: "_")
  }

  /// Every combination of axis values, in row-major order of the axes.
  public var combinations: [[String]] {
    axes.reduce([[]]) { partial, axis in partial.flatMap { prefix in axis.values.map { prefix + [$0] } } }
  }

  /// Checks every combination and seed before anything runs, so a typo in the tenth cell does
  /// not surface after nine runs.
  public func validateAll() throws(ScenarioError) -> [[Scenario]] {
    try combinations.map { (combination) throws(ScenarioError) in
      try (0..<seeds).map { (seed) throws(ScenarioError) in
        try ScenarioDecoder.decode(
          scenarioText, file: file, overrides: overrides(for: combination, seed: seed), baseDirectory: baseDirectory)
      }
    }
  }

  public func overrides(for combination: [String], seed: Int) -> [String] {
    overrides + zip(axes, combination).map { "\($0.key)=\($1)" } + ["seed=\(seed)"]
  }

  /// The summary of a run directory a previous sweep finished (`--resume`), or nil when `directory`
  /// holds no finished run. Numbers become values (null → NaN); `"status": "failed"` adds
  /// `failed: 1`.
  ///
  /// - Throws: `.output` when the finished run used other overrides than `expected` (the sweep's
  ///   cell changed since).
  public static func finishedSummary(at directory: URL, expected overrides: [String]) throws(RunError) -> [String: Double]? {
    let url = directory.appendingPathComponent("summary.json")
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw .output(path: url.path, reason: "unreadable summary: remove the run directory to run the cell again")
    }
    let recorded = object["overrides"] as? [String] ?? []
    guard recorded == overrides else {
      throw .output(
        path: directory.path,
        reason: "was run with overrides \(recorded), this sweep's cell has \(overrides): use another --out, or remove the directory")
    }
    // Numbers are read from their text (summary.json writes one field a line, shortest
    // round-trip form), so a resumed table is bit-identical to an uninterrupted one.
    var summary: [String: Double] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
      let text = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ","))
      if let number = Double(text) {
        summary[key] = number
      } else if text == "null" {
        summary[key] = .nan
      }
    }
    if object["status"] as? String == "failed" { summary["failed"] = 1 }
    return summary
  }

  /// A folder-safe label for a combination, e.g. `aggregator.name=fedavg_data.partition.alpha=0.1`.
  public func label(_ combination: [String]) -> String {
    let text = zip(axes, combination).map { "\($0.key)=\(Self.labelPart($1))" }.joined(separator: "_")
    return String(text.map { $0.isLetter || $0.isNumber || "=._-".contains($0) ? $0 : "-" })
  }

  /// Summary values that measure what a run cost rather than what it learned.
  static let costMetrics: Set<String> = ["simulated_time", "wall_time_s", "final_epsilon", "rounds", "clients"]

  /// Markdown and CSV tables from per-run summaries ([combination][seed] → summary). A run that
  /// failed has the summary `["failed": 1]`. A cell's value is the mean ± standard deviation over
  /// seeds only when every seed finished with a finite value; otherwise it says how many diverged
  /// or failed, so a diverged cell can never look better than a finite one. The `diverged` column
  /// counts the seeds whose run diverged (a non-finite value anywhere) or failed.
  public func tables(_ summaries: [[[String: Double]]], metrics: [String]) -> (markdown: String, csv: String) {
    var markdown = "| " + (axes.map(\.key) + metrics + ["diverged", "seeds"]).joined(separator: " | ") + " |\n"
    markdown += "|" + String(repeating: "---|", count: axes.count + metrics.count + 2) + "\n"
    var csv =
      (axes.map(\.key) + metrics.flatMap { ["\($0)_mean", "\($0)_std"] } + ["diverged", "failed", "seeds"]).joined(separator: ",") + "\n"
    for (combination, runs) in zip(combinations, summaries) {
      var cells = combination, csvCells = combination
      let failed = runs.filter { $0["failed"] == 1 }.count
      let diverged = runs.filter { $0["failed"] == 1 || $0["diverged"] == 1 }.count
      for metric in metrics {
        let values = runs.map { $0[metric] ?? .nan }
        // Costs (time, ε spent) stay meaningful when a run diverged; model quality does not.
        let isCost = Self.costMetrics.contains(metric) && failed == 0
        if values.allSatisfy(\.isFinite) && (diverged == 0 || isCost) {
          let (m, s) = meanAndStandardDeviation(values)
          cells.append(formatCell(m, s))
          csvCells += ["\(m)", "\(s)"]
        } else {
          cells.append(failed == runs.count ? "failed" : "diverged (\(diverged)/\(runs.count))")
          csvCells += ["nan", "nan"]
        }
      }
      cells += ["\(diverged)/\(runs.count)", String(runs.count)]
      csvCells += [String(diverged), String(failed), String(runs.count)]
      markdown += "| " + cells.joined(separator: " | ") + " |\n"
      csv += csvCells.joined(separator: ",") + "\n"
    }
    return (markdown, csv)
  }
}

/// Four decimals for values of order one, four significant digits for small or large ones.
func formatCell(_ m: Double, _ s: Double) -> String {
  let magnitude = abs(m)
  if magnitude == 0 || (magnitude >= 0.01 && magnitude < 1e5) || !m.isFinite { return String(format: "%.4f ± %.4f", m, s) }
  return String(format: "%.4g ± %.2g", m, s)
}

/// The summary values a sweep table shows by default: those every run reported, in a fixed order.
public func defaultSweepMetrics(_ summaries: [[[String: Double]]]) -> [String] {
  let candidates = [
    "tail_mean_sq_distance", "final_mean_sq_distance", "final_mean_val_loss", "final_mean_val_perplexity", "final_mean_test_loss",
    "final_mean_test_perplexity", "final_epsilon", "simulated_time", "wall_time_s",
  ]
  let runs = summaries.flatMap { $0 }.filter { $0["failed"] != 1 }
  return candidates.filter { key in !runs.isEmpty && runs.allSatisfy { $0[key] != nil } }
}

/// Mean and sample standard deviation (0 for fewer than two values; NaN for none).
func meanAndStandardDeviation(_ values: [Double]) -> (Double, Double) {
  guard !values.isEmpty else { return (.nan, .nan) }
  let m = values.reduce(0, +) / Double(values.count)
  guard values.count > 1 else { return (m, 0) }
  let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
  return (m, variance.squareRoot())
}
