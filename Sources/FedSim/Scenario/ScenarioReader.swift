import Foundation
import Yams

/// Reads typed values out of a composed YAML tree. Every problem becomes a `ScenarioIssue` with
/// the node's line and column; reading goes on with a default, so one pass reports them all.
final class ScenarioReader {
  let file: String
  /// Key paths set with `--set`, and the assignment text: problems under them point there.
  let overrides: [(path: String, assignment: String)]
  private(set) var issues: [ScenarioIssue] = []

  init(file: String, overrides: [String] = []) {
    self.file = file
    self.overrides = overrides.compactMap { assignment in
      assignment.firstIndex(of: "=").map { (String(assignment[..<$0]), assignment) }
    }
  }

  func report(_ node: Node?, _ path: String, _ message: String, suggestion: String? = nil, near fallback: Node? = nil) {
    let mark = node?.mark ?? fallback?.mark
    // The last override that covers the path wins, as it does when applied.
    if let origin = overrides.last(where: { path == $0.path || path.hasPrefix($0.path + ".") }) {
      let valueColumn = origin.path.count + 1 + (mark?.column ?? 1)
      issues.append(
        ScenarioIssue(
          file: "--set \(origin.assignment)", line: 1, column: valueColumn, path: path,
          message: message, suggestion: suggestion))
      return
    }
    issues.append(
      ScenarioIssue(
        file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path,
        message: message, suggestion: suggestion))
  }

  /// A scenario's root mapping, or nil with an issue.
  static func compose(_ text: String, file: String) throws(ScenarioError) -> Node {
    if let problem = YAMLLimits.problem(in: text) {
      throw ScenarioError(issues: [
        ScenarioIssue(file: file, line: problem.line, column: problem.column, path: "", message: problem.message, suggestion: nil)
      ])
    }
    do {
      guard let node = try Yams.compose(yaml: text) else {
        throw ScenarioError(issues: [ScenarioIssue(file: file, line: 1, column: 1, path: "", message: "the file is empty", suggestion: nil)]
        )
      }
      return node
    } catch let error as ScenarioError {
      throw error
    } catch let error as YamlError {
      throw ScenarioError(issues: [issue(for: error, file: file)])
    } catch {
      throw ScenarioError(issues: [ScenarioIssue(file: file, line: 1, column: 1, path: "", message: "\(error)", suggestion: nil)])
    }
  }

  static func issue(for error: YamlError, file: String) -> ScenarioIssue {
    switch error {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
      return ScenarioIssue(file: file, line: mark.line, column: mark.column, path: "", message: "invalid YAML: \(problem)", suggestion: nil)
    case .duplicatedKeysInMapping(let duplicates, let context):
      return ScenarioIssue(
        file: file, line: context.mark.line, column: context.mark.column, path: "",
        message: "duplicate keys \(duplicates.map { "'\($0)'" }.joined(separator: ", "))", suggestion: nil)
    default:
      return ScenarioIssue(file: file, line: 1, column: 1, path: "", message: "invalid YAML: \(error)", suggestion: nil)
    }
  }
}

/// A YAML scalar that is null: absent, `~`, `null` or empty.
func isNull(_ node: Node?) -> Bool {
  guard let node else { return true }
  guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
  return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
}

/// A mapping of the scenario. Keys are checked against the allowed ones when the section is
/// opened; typed getters report wrong types and out-of-range values and fall back to defaults.
struct Section {
  let reader: ScenarioReader
  let path: String
  let node: Node?
  private(set) var values: [String: Node] = [:]
  private(set) var keys: [String: Node] = [:]

  init(_ reader: ScenarioReader, _ node: Node?, path: String, allowed: [String]) {
    self.reader = reader
    self.path = path
    self.node = isNull(node) ? nil : node
    guard let node = self.node else { return }
    guard case .mapping(let mapping) = node else {
      reader.report(node, path, "expected a mapping of \(allowed.joined(separator: ", ")), found \(describe(node))")
      return
    }
    for (keyNode, value) in mapping {
      guard case .scalar(let key) = keyNode else {
        reader.report(keyNode, path, "keys must be plain names")
        continue
      }
      let name = key.string
      let child = path.isEmpty ? name : "\(path).\(name)"
      if allowed.contains(name) {
        values[name] = value
        keys[name] = keyNode
      } else {
        reader.report(keyNode, child, "unknown key", suggestion: closestMatch(to: name, among: allowed))
      }
    }
  }

  func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// Reports every key that only other kinds use (`table`: kind → its keys): given for the kind
  /// that is not selected, it would otherwise be ignored without a word.
  func rejectKeys(ofOtherKinds table: [String: [String]], selected: String, kindKey: String = "kind") {
    let mine = Set(table[selected] ?? [])
    for (key, keyNode) in keys.sorted(by: { $0.key < $1.key }) where !mine.contains(key) {
      let owners = table.filter { $0.value.contains(key) }.map(\.key).sorted()
      guard !owners.isEmpty else { continue }
      reader.report(
        keyNode, child(key), "'\(key)' is not used with \(kindKey) \(selected) (it applies to \(owners.joined(separator: ", ")))")
    }
  }

  /// The raw node of a key (nil when absent or null).
  subscript(_ key: String) -> Node? { isNull(values[key]) ? nil : values[key] }

  func contains(_ key: String) -> Bool { self[key] != nil }

  func missing(_ key: String, expected: String) {
    reader.report(node, child(key), "missing required field (expected \(expected))")
  }

  func section(_ key: String, allowed: [String]) -> Section {
    Section(reader, self[key], path: child(key), allowed: allowed)
  }

  func scalar(_ key: String, expected: String) -> (Node, Node.Scalar)? {
    guard let node = self[key] else { return nil }
    guard case .scalar(let scalar) = node else {
      reader.report(node, child(key), "expected \(expected), found \(describe(node))")
      return nil
    }
    return (node, scalar)
  }

  func string(_ key: String, default value: String? = nil, required: Bool = false) -> String? {
    guard let (_, scalar) = scalar(key, expected: "a string") else {
      if required { missing(key, expected: "a string") }
      return value
    }
    return scalar.string
  }

  func choice(_ key: String, among options: [String], default value: String? = nil) -> String? {
    guard let (node, scalar) = scalar(key, expected: "one of \(options.joined(separator: ", "))") else {
      if value == nil { missing(key, expected: "one of \(options.joined(separator: ", "))") }
      return value
    }
    guard options.contains(scalar.string) else {
      reader.report(
        node, child(key), "'\(scalar.string)' is not one of \(options.joined(separator: ", "))",
        suggestion: closestMatch(to: scalar.string, among: options))
      return value
    }
    return scalar.string
  }

  func int(_ key: String, default value: Int? = nil, in range: ClosedRange<Int> = Int.min...Int.max) -> Int? {
    let expected = describe(range, integer: true)
    guard let (node, scalar) = scalar(key, expected: expected) else {
      if value == nil { missing(key, expected: expected) }
      return value
    }
    guard scalar.style == .plain, let parsed = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
      reader.report(node, child(key), "expected \(expected), found \(quote(scalar))")
      return value
    }
    guard range.contains(parsed) else {
      reader.report(node, child(key), "\(parsed) is out of range, expected \(expected)")
      return value
    }
    return parsed
  }

  func double(
    _ key: String, default value: Double? = nil,
    in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
    openLower: Bool = false
  ) -> Double? {
    let expected = describe(range, openLower: openLower)
    guard let (node, scalar) = scalar(key, expected: expected) else {
      if value == nil { missing(key, expected: expected) }
      return value
    }
    guard scalar.style == .plain, let parsed = Double(scalar.string.replacingOccurrences(of: "_", with: "")), parsed.isFinite else {
      reader.report(node, child(key), "expected \(expected), found \(quote(scalar))")
      return value
    }
    guard range.contains(parsed) && !(openLower && parsed == range.lowerBound) else {
      reader.report(node, child(key), "\(scalar.string) is out of range, expected \(expected)")
      return value
    }
    // A subnormal number (|x| < 2.2e-308) loses precision and overflows when inverted.
    guard parsed == 0 || parsed.isNormal else {
      reader.report(node, child(key), "\(scalar.string) is too close to 0 to compute with (subnormal), expected \(expected)")
      return value
    }
    return parsed
  }

  func bool(_ key: String, default value: Bool) -> Bool {
    guard let (node, scalar) = scalar(key, expected: "true or false") else { return value }
    switch scalar.string {
    case "true", "True", "TRUE": return true
    case "false", "False", "FALSE": return false
    default:
      reader.report(node, child(key), "expected true or false, found \(quote(scalar))")
      return value
    }
  }

  /// A list of strings with their nodes (a single string counts as a one-element list).
  func stringItems(_ key: String) -> [(String, Node)]? {
    guard let node = self[key] else { return nil }
    switch node {
    case .scalar(let scalar): return [(scalar.string, node)]
    case .sequence(let sequence):
      var result: [(String, Node)] = []
      for (index, item) in sequence.enumerated() {
        guard case .scalar(let scalar) = item else {
          reader.report(item, "\(child(key))[\(index)]", "expected a string, found \(describe(item))")
          continue
        }
        result.append((scalar.string, item))
      }
      return result
    case .mapping, .alias:
      reader.report(node, child(key), "expected a list, found \(describe(node))")
      return nil
    }
  }

  /// A list of strings (a single string counts as a one-element list).
  func strings(_ key: String) -> [String]? {
    guard let node = self[key] else { return nil }
    switch node {
    case .scalar(let scalar): return [scalar.string]
    case .sequence(let sequence):
      var result: [String] = []
      for (index, item) in sequence.enumerated() {
        guard case .scalar(let scalar) = item else {
          reader.report(item, "\(child(key))[\(index)]", "expected a string, found \(describe(item))")
          continue
        }
        result.append(scalar.string)
      }
      return result
    case .mapping, .alias:
      reader.report(node, child(key), "expected a list, found \(describe(node))")
      return nil
    }
  }
}

func describe(_ node: Node) -> String {
  switch node {
  case .scalar(let scalar): return quote(scalar)
  case .mapping: return "a mapping"
  case .sequence: return "a list"
  case .alias: return "an alias"
  }
}

func quote(_ scalar: Node.Scalar) -> String {
  scalar.style == .plain ? "'\(scalar.string)'" : "the string \"\(scalar.string)\""
}

func describe(_ range: ClosedRange<Int>, integer: Bool) -> String {
  switch (range.lowerBound, range.upperBound) {
  case (Int.min, Int.max): return "an integer"
  case (let low, Int.max): return "an integer ≥ \(low)"
  default: return "an integer in \(range.lowerBound)...\(range.upperBound)"
  }
}

func describe(_ range: ClosedRange<Double>, openLower: Bool) -> String {
  let low = range.lowerBound, high = range.upperBound
  let big = Double.greatestFiniteMagnitude
  switch (low, high) {
  case (-big, big): return "a number"
  case (let l, big): return openLower ? "a number > \(format(l))" : "a number ≥ \(format(l))"
  default: return openLower ? "a number in (\(format(low)), \(format(high))]" : "a number in [\(format(low)), \(format(high))]"
  }
}

func format(_ value: Double) -> String {
  value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
