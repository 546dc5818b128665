import Foundation

/// What a report reads of one run directory: its summary, its per-round records, the final
/// per-client values, trust matrices and the resolved scenario.
struct RunData {
  /// The folder, and a short label (the folder name).
  let directory: URL
  let label: String
  /// summary.json's numbers and its text fields (name, status, blas_kernel…).
  var summary: [String: Double] = [:]
  var labels: [String: String] = [:]
  /// The run's `--set` overrides (a sweep's grid values among them).
  var overrides: [String] = []
  /// `kind: round` records in order.
  var rounds: [[String: Any]] = []
  /// The last `kind: mixing` matrix (trust), with its round.
  var lastMixing: (round: Int, matrix: [[Double]])?
  /// clients.csv: final validation loss per client (nil where empty or not finite).
  var clientFinalLoss: [Int: Double] = [:]
  /// The resolved scenario (resolved.json), when readable.
  var scenario: Scenario?
  /// Why part of the run could not be read (shown in the page and on stderr).
  var problems: [String] = []
  /// Whether the run finished (an unfinished `.partial` folder has no summary).
  var finished: Bool { !summary.isEmpty }

  var status: String { labels["status"] ?? (finished ? "completed" : "unfinished") }
  var seed: UInt64? { scenario?.seed }

  /// The numbers of `key` over the round records (NaN where absent or null), with their rounds.
  /// Rounds count from 1, as in the progress lines (metrics.jsonl counts from 0).
  func series(_ key: String, x: String = "round") -> [(x: Double, y: Double)] {
    rounds.compactMap { record in
      guard var xValue = (record[x] as? NSNumber)?.doubleValue else { return nil }
      if x == "round" { xValue += 1 }
      guard let yValue = (record[key] as? NSNumber)?.doubleValue else { return nil }
      return (xValue, yValue)
    }
  }

  /// The cumulative bytes sent after each round, with `key` at that round.
  func bytesAgainst(_ key: String) -> [(x: Double, y: Double)] {
    var total = 0.0
    var points: [(x: Double, y: Double)] = []
    for record in rounds {
      total += ((record["bytes_up"] as? NSNumber)?.doubleValue ?? 0) + ((record["bytes_down"] as? NSNumber)?.doubleValue ?? 0)
      if let y = (record[key] as? NSNumber)?.doubleValue { points.append((total, y)) }
    }
    return points
  }

  /// The per-layer generalist share of the last round that has it (mixtures of experts).
  var lastGeneralistShare: [Double]? {
    for record in rounds.reversed() {
      if let shares = record["mean_val_generalist_share"] as? [NSNumber] { return shares.map(\.doubleValue) }
    }
    return nil
  }

  /// Reads `directory`; what cannot be read is noted in `problems`, never thrown.
  init(directory: URL) {
    self.directory = directory
    label = directory.lastPathComponent
    let manager = FileManager.default
    func read(_ name: String) -> Data? { manager.contents(atPath: directory.appendingPathComponent(name).path) }
    if let data = read("summary.json"), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
      for (key, value) in object {
        // summary.json holds numbers and strings only (no booleans).
        if let number = value as? NSNumber {
          summary[key] = number.doubleValue
        } else if let text = value as? String {
          labels[key] = text
        } else if value is NSNull {
          summary[key] = .nan
        } else if key == "overrides", let list = value as? [String] {
          overrides = list
        }
      }
    } else if let data = read("partial.json"), let note = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
      let status = note["status"] as? String ?? "unfinished"
      labels["status"] = status
      problems.append("\(label) did not finish (\(status), \(note["rounds_completed"] ?? 0) rounds recorded): its curves stop there")
    } else {
      problems.append("\(label) has no summary.json: not a finished run")
    }
    if let data = read("resolved.json") { scenario = try? JSONDecoder().decode(Scenario.self, from: data) }
    if let data = read("metrics.jsonl"), let text = String(data: data, encoding: .utf8) {
      var bad = 0
      for line in text.split(separator: "\n") {
        guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
          bad += 1
          continue
        }
        switch record["kind"] as? String {
        case "round": rounds.append(record)
        case "mixing":
          if let round = (record["round"] as? NSNumber)?.intValue, let rows = record["matrix"] as? [[NSNumber]] {
            lastMixing = (round, rows.map { $0.map(\.doubleValue) })
          }
        default: break
        }
      }
      if bad > 0 { problems.append("\(label)/metrics.jsonl: \(bad) lines are not JSON records (skipped)") }
    } else {
      problems.append("\(label) has no readable metrics.jsonl")
    }
    if let data = read("clients.csv"), let text = String(data: data, encoding: .utf8) {
      let lines = text.split(separator: "\n")
      let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) ?? []
      if let column = header.firstIndex(of: "final_val_loss"), let id = header.firstIndex(of: "client") {
        for line in lines.dropFirst() {
          let cells = line.split(separator: ",", omittingEmptySubsequences: false)
          guard cells.count > max(column, id), let client = Int(cells[id]), let loss = Double(cells[column]), loss.isFinite else {
            continue
          }
          clientFinalLoss[client] = loss
        }
      }
    }
  }
}

/// Runs grouped into the cells of a sweep (`<cell>-seed<k>` folders), or one group per run.
struct RunGroup {
  var label: String
  var runs: [RunData]

  /// Short legend labels: the overrides whose values differ between groups ("decor,
  /// target_epsilon=10"), keys shortened to their last part, `name` keys to their value; the
  /// folder names when nothing tells the groups apart.
  static func shortLabels(_ groups: [RunGroup]) -> [RunGroup] {
    guard groups.count > 1 else { return groups }
    func pairs(_ group: RunGroup) -> [String: String] {
      var result: [String: String] = [:]
      for item in group.runs.first?.overrides ?? [] {
        guard let equals = item.firstIndex(of: "=") else { continue }
        let key = String(item[..<equals])
        if key != "seed" { result[key] = String(item[item.index(after: equals)...]) }
      }
      return result
    }
    let all = groups.map(pairs)
    let keys = Set(all.flatMap(\.keys)).sorted().filter { key in Set(all.map { $0[key] ?? "" }).count > 1 }
    guard !keys.isEmpty else { return groups }
    var labelled = groups
    var seen = Set<String>()
    for index in labelled.indices {
      let parts = keys.compactMap { key -> String? in
        guard let value = all[index][key] else { return nil }
        let last = key.split(separator: ".").last.map(String.init) ?? key
        return last == "name" ? value : "\(last)=\(value)"
      }
      let label = parts.joined(separator: ", ")
      guard !label.isEmpty, seen.insert(label).inserted else { return groups }
      labelled[index].label = label
    }
    return labelled
  }

  /// Splits `label-seedK` into (label, K).
  static func cellLabel(_ name: String) -> String {
    guard let range = name.range(of: "-seed", options: .backwards), Int(name[range.upperBound...]) != nil else { return name }
    return String(name[..<range.lowerBound])
  }

  /// Groups sweep folders by cell, in the order they were found.
  static func grouping(_ runs: [RunData]) -> [RunGroup] {
    var order: [String] = []
    var groups: [String: [RunData]] = [:]
    for run in runs {
      let cell = cellLabel(run.label)
      if groups[cell] == nil { order.append(cell) }
      groups[cell, default: []].append(run)
    }
    return order.map { RunGroup(label: $0, runs: groups[$0]!) }
  }
}

/// Finds the runs under the paths a user gave: run folders, unfinished `.partial` folders, and
/// sweep folders (whose subfolders are runs).
enum RunDiscovery {
  static func runs(at paths: [URL]) -> (runs: [RunData], problems: [String]) {
    var runs: [RunData] = []
    var problems: [String] = []
    let manager = FileManager.default
    for path in paths {
      var isDirectory: ObjCBool = false
      guard manager.fileExists(atPath: path.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        problems.append("\(path.path): no such folder")
        continue
      }
      if isRun(path) {
        runs.append(RunData(directory: path))
        continue
      }
      let children = ((try? manager.contentsOfDirectory(atPath: path.path)) ?? []).sorted().map { path.appendingPathComponent($0) }
      let found = children.filter(isRun)
      if found.isEmpty { problems.append("\(path.path): neither a run folder nor a sweep folder (no summary.json or metrics.jsonl)") }
      runs += found.map(RunData.init(directory:))
    }
    return (runs, problems)
  }

  static func isRun(_ folder: URL) -> Bool {
    let manager = FileManager.default
    return manager.fileExists(atPath: folder.appendingPathComponent("summary.json").path)
      || manager.fileExists(atPath: folder.appendingPathComponent("metrics.jsonl").path)
  }
}
