/// A problem with a model or adapter directory; every case names the file.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
  case missingFile(path: String)
  case unreadable(path: String, reason: String)
  case invalidJSON(path: String, reason: String)
  case invalidConfig(file: String, field: String, value: String, expected: String)
  case tensors(SafetensorsError)
  case model(ModelError)
  case unwritable(path: String, reason: String)

  public var description: String {
    switch self {
    case .missingFile(let path): return "\(path): no such file"
    case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
    case .invalidJSON(let path, let reason): return "\(path): invalid JSON: \(reason)"
    case .invalidConfig(let file, let field, let value, let expected):
      return "\(file): \(field) = \(value), expected \(expected)"
    case .tensors(let error): return error.description
    case .model(let error): return error.description
    case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
    }
  }
}
