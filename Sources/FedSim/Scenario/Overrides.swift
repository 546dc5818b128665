import Yams

/// `--set key.path=value` overrides, applied to the YAML tree before decoding so they get the
/// same validation as the file. The value is parsed as YAML (`0.1`, `fedavg`, `[1, 2]`,
/// `{median: 1e9, sigma: 0.5}`).
enum Overrides {
  static func apply(_ assignments: [String], to root: Node) throws(ScenarioError) -> Node {
    var root = root
    for assignment in assignments {
      let file = "--set \(assignment)"
      func fail(_ column: Int, _ message: String) -> ScenarioError {
        ScenarioError(issues: [ScenarioIssue(file: file, line: 1, column: column, path: "", message: message, suggestion: nil)])
      }
      guard let equals = assignment.firstIndex(of: "=") else { throw fail(1, "expected key.path=value") }
      let path = assignment[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
      guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }) else { throw fail(1, "empty key in '\(assignment[..<equals])'") }
      let valueText = String(assignment[assignment.index(after: equals)...])
      if let problem = YAMLLimits.problem(in: valueText) {
        throw fail(path.joined(separator: ".").count + 1 + problem.column, problem.message)
      }
      let value: Node
      do { value = try Yams.compose(yaml: valueText) ?? Node("") } catch {
        throw fail(path.joined(separator: ".").count + 2, "the value is not valid YAML")
      }
      if let first = path.first, !ScenarioDecoder.topLevel.contains(first) {
        throw ScenarioError(issues: [
          ScenarioIssue(
            file: file, line: 1, column: 1, path: first, message: "unknown key",
            suggestion: closestMatch(to: first, among: ScenarioDecoder.topLevel))
        ])
      }
      do { root = try set(value, at: path[...], in: root) } catch let error as OverrideError {
        throw fail(1, "'\(error.prefix)' is not a mapping, so '\(path.joined(separator: "."))' cannot be set")
      } catch { throw fail(1, "\(error)") }
    }
    return root
  }

  struct OverrideError: Error { let prefix: String }

  /// `node` nil or null means the key is absent: intermediate mappings are created.
  static func set(_ value: Node, at path: ArraySlice<String>, in node: Node?, prefix: String = "") throws -> Node {
    guard let key = path.first else { return value }
    var mapping = Node.Mapping([])
    if let node, !isNull(node) {
      guard case .mapping(let existing) = node else { throw OverrideError(prefix: prefix.isEmpty ? "(root)" : prefix) }
      mapping = existing
    }
    let childPrefix = prefix.isEmpty ? key : "\(prefix).\(key)"
    mapping[Node(key)] = try set(value, at: path.dropFirst(), in: mapping[Node(key)], prefix: childPrefix)
    return .mapping(mapping)
  }
}
