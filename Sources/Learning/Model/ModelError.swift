/// Errors raised while configuring, loading or running a model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
  /// A configuration field has a value the model cannot use.
  case invalidConfig(field: String, value: String, expected: String)
  /// A required tensor is absent from a checkpoint.
  case missingTensor(name: String, file: String)
  /// A tensor has a shape other than the configuration implies.
  case shapeMismatch(name: String, expected: [Int], found: [Int], file: String)
  /// A checkpoint holds a tensor the model does not know.
  case unexpectedTensor(name: String, file: String)
  /// A token id is outside the vocabulary.
  case tokenOutOfRange(token: Int, vocabularySize: Int)
  /// A batch does not fit the model or the workspace.
  case badBatch(String)
  /// Training produced a NaN or ±∞ (the loss or a gradient); the parameters were not updated.
  case nonFinite(step: Int, what: String)

  public var description: String {
    switch self {
    case .invalidConfig(let field, let value, let expected):
      return "invalid model config: \(field) = \(value), expected \(expected)"
    case .missingTensor(let name, let file):
      return "\(file): missing tensor '\(name)'"
    case .shapeMismatch(let name, let expected, let found, let file):
      return "\(file): tensor '\(name)' has shape \(found), expected \(expected)"
    case .unexpectedTensor(let name, let file):
      return "\(file): unexpected tensor '\(name)' (not part of this model)"
    case .tokenOutOfRange(let token, let vocabularySize):
      return "token id \(token) is outside the vocabulary 0..<\(vocabularySize)"
    case .badBatch(let message):
      return "bad batch: \(message)"
    case .nonFinite(let step, let what):
      return
        "training diverged at step \(step): \(what) is not finite (the parameters were left as they were before that step; lower the learning rate or clip gradients)"
    }
  }
}
