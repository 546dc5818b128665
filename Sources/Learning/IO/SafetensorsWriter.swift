import Foundation

/// Writes Float32 tensors in the safetensors format, atomically (temporary file, then rename), so
/// an interrupted write never leaves a file that looks complete.
public struct SafetensorsWriter {
  private var entries: [(name: String, shape: [Int])] = []
  private var owned: [[Float]] = []
  public var metadata: [String: String] = [:]

  public init(metadata: [String: String] = [:]) { self.metadata = metadata }

  /// Adds a tensor by copying its values.
  public mutating func add(_ name: String, shape: [Int], values: some Collection<Float>) {
    precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
    owned.append(Array(values))
    entries.append((name, shape))
  }

  /// Adds every tensor of a parameter set, under its layout names.
  public mutating func add(_ parameters: ParameterSet, renaming rename: (String) -> String = { $0 }) {
    for entry in parameters.layout.entries {
      add(rename(entry.name), shape: entry.shape, values: parameters.buffer(entry.name))
    }
  }

  /// The serialized file.
  public func encoded() -> Data {
    // Tensors are stored in name order, as the reference implementation does.
    let order = entries.indices.sorted { entries[$0].name < entries[$1].name }
    var header = "{"
    if !metadata.isEmpty {
      let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      header += "\"__metadata__\":{\(items.joined(separator: ","))},"
    }
    var offset = 0
    var parts: [String] = []
    for index in order {
      let entry = entries[index]
      let bytes = owned[index].count * 4
      parts.append(
        "\(jsonString(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
      )
      offset += bytes
    }
    header += parts.joined(separator: ",") + "}"
    // Pad the header with spaces so the data section starts 8-byte aligned.
    while (header.utf8.count) % 8 != 0 { header += " " }
    var data = Data(capacity: 8 + header.utf8.count + offset)
    var length = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    for index in order {
      owned[index].withUnsafeBufferPointer { buffer in
        for value in buffer {
          var bits = value.bitPattern.littleEndian
          withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
      }
    }
    return data
  }

  /// Writes the file atomically.
  public func write(to url: URL) throws(SafetensorsError) {
    do { try encoded().write(to: url, options: .atomic) } catch {
      throw .unwritable(path: url.path, reason: error.localizedDescription)
    }
  }
}

/// A JSON string literal (quotes and escapes), for hand-written JSON such as headers and metrics.
public func jsonString(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
    }
  }
  return out + "\""
}
