/// A problem with an aggregator's name or options.
public struct AggregatorError: Error, Sendable, Equatable, CustomStringConvertible {
  public let aggregator: String
  /// The option at fault (empty for the name itself).
  public let option: String
  public let value: String
  public let expected: String

  public init(aggregator: String, option: String, value: String, expected: String) {
    self.aggregator = aggregator
    self.option = option
    self.value = value
    self.expected = expected
  }

  public var description: String {
    option.isEmpty
      ? "unknown aggregator '\(value)', expected \(expected)" : "aggregator \(aggregator): \(option) = \(value), expected \(expected)"
  }
}

/// An aggregator's options as written in a scenario (`name: value` strings), with typed readers
/// that report the option, the value and what was expected. Every read marks the option as
/// known; `rejectUnknown()` then flags the rest, so a misspelt option never passes silently.
public final class AggregatorOptions: @unchecked Sendable {
  // @unchecked Sendable: used by one thread while an aggregator is being built.
  public let aggregator: String
  public let values: [String: String]
  private var known = Set<String>()

  public init(aggregator: String, values: [String: String] = [:]) {
    self.aggregator = aggregator
    self.values = values
  }

  func fail(_ option: String, _ value: String, _ expected: String) -> AggregatorError {
    AggregatorError(aggregator: aggregator, option: option, value: value, expected: expected)
  }

  public func double(_ option: String, default value: Double, in range: ClosedRange<Double>) throws(AggregatorError) -> Double {
    known.insert(option)
    guard let text = values[option] else { return value }
    guard let parsed = Double(text), range.contains(parsed) else {
      throw fail(option, text, "a number in [\(range.lowerBound), \(range.upperBound)]")
    }
    return parsed
  }

  public func int(_ option: String, default value: Int, in range: ClosedRange<Int>) throws(AggregatorError) -> Int {
    known.insert(option)
    guard let text = values[option] else { return value }
    guard let parsed = Int(text), range.contains(parsed) else {
      throw fail(option, text, "an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return parsed
  }

  public func bool(_ option: String, default value: Bool) throws(AggregatorError) -> Bool {
    known.insert(option)
    guard let text = values[option] else { return value }
    switch text {
    case "true": return true
    case "false": return false
    default: throw fail(option, text, "true or false")
    }
  }

  public func choice(_ option: String, among choices: [String], default value: String) throws(AggregatorError) -> String {
    known.insert(option)
    guard let text = values[option] else { return value }
    guard choices.contains(text) else { throw fail(option, text, "one of \(choices.joined(separator: ", "))") }
    return text
  }

  /// The option's text as written, or nil when absent.
  public func string(_ option: String) throws(AggregatorError) -> String? {
    known.insert(option)
    return values[option]
  }

  /// A number the scenario must give (no default): its absence is an error that names the option
  /// and the range expected.
  public func requiredDouble(_ option: String, in range: ClosedRange<Double>) throws(AggregatorError) -> Double {
    guard values[option] != nil else {
      known.insert(option)
      throw fail(option, "(missing)", "a number in [\(range.lowerBound), \(range.upperBound)] (this option has no default)")
    }
    return try double(option, default: range.lowerBound, in: range)
  }

  /// An integer the scenario must give (no default).
  public func requiredInt(_ option: String, in range: ClosedRange<Int>) throws(AggregatorError) -> Int {
    guard values[option] != nil else {
      known.insert(option)
      throw fail(option, "(missing)", "an integer in \(range.lowerBound)...\(range.upperBound) (this option has no default)")
    }
    return try int(option, default: range.lowerBound, in: range)
  }

  /// One of `choices`, which the scenario must give (no default).
  public func requiredChoice(_ option: String, among choices: [String]) throws(AggregatorError) -> String {
    guard values[option] != nil else {
      known.insert(option)
      throw fail(option, "(missing)", "one of \(choices.joined(separator: ", ")) (this option has no default)")
    }
    return try choice(option, among: choices, default: choices.first ?? "")
  }

  /// Throws for the first option (in name order) no reader asked for.
  public func rejectUnknown() throws(AggregatorError) {
    if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
      let expected = known.isEmpty ? "no options" : "one of \(known.sorted().joined(separator: ", "))"
      throw fail(unknown, values[unknown] ?? "", "a known option (\(expected))")
    }
  }
}
