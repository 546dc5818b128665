/// Why an archive could not be read.
public enum ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The bytes ended in the middle of a value.
  case truncated(reading: String, offset: Int)
  /// A value out of its range (a length larger than the archive, an unknown case).
  case invalid(what: String, value: String, offset: Int)
  /// The reader expected another part here: the archive was written by another version or for
  /// another kind of run.
  case sectionMismatch(expected: String, found: String, offset: Int)
  /// The archive's contents do not fit the run restoring it (another model size, population...).
  case mismatch(what: String, found: String, expected: String)

  public var description: String {
    switch self {
    case .truncated(let what, let offset): return "the state ends at byte \(offset) while reading \(what)"
    case .invalid(let what, let value, let offset): return "invalid \(what) \(value) at byte \(offset)"
    case .sectionMismatch(let expected, let found, let offset):
      return "expected the part \"\(expected)\" at byte \(offset), found \"\(found)\""
    case .mismatch(let what, let found, let expected): return "\(what) is \(found), expected \(expected)"
    }
  }
}
