/// One problem in a scenario: where it is, which field, what is wrong and what was expected.
public struct ScenarioIssue: Sendable, Equatable, CustomStringConvertible {
  public let file: String
  public let line: Int
  public let column: Int
  /// The key path, e.g. `aggregator.trust.scheme`.
  public let path: String
  public let message: String
  /// A close match for a misspelt key or name.
  public let suggestion: String?

  public var description: String {
    var text = "\(file):\(line):\(column): \(path.isEmpty ? "" : "\(path): ")\(message)"
    if let suggestion { text += " (did you mean '\(suggestion)'?)" }
    return text
  }
}

/// Every problem found in a scenario, in file order. Decoding collects them all instead of
/// stopping at the first, so a user fixes a file in one pass.
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
  public let issues: [ScenarioIssue]

  public var description: String {
    let plural = issues.count == 1 ? "problem" : "problems"
    return "\(issues.count) \(plural) in the scenario:\n" + issues.map { "  \($0)" }.joined(separator: "\n")
  }
}

/// Damerau-free Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a.lowercased()), b = Array(b.lowercased())
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

/// The closest candidate within a distance that scales with the word (at most 1 for short words,
/// up to 3 for long ones), or nil.
func closestMatch(to word: String, among candidates: [String]) -> String? {
  let limit = max(1, min(3, word.count / 3))
  let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= limit }
  return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
}
