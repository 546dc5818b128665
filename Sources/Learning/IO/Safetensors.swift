import Foundation

/// Element types a safetensors file may hold, with their sizes in bytes.
public enum SafetensorsDType: String, Sendable, CaseIterable {
  case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
  case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

  public var byteCount: Int {
    switch self {
    case .f64, .i64: return 8
    case .f32, .i32: return 4
    case .f16, .bf16, .i16: return 2
    case .i8, .u8, .bool: return 1
    }
  }
}

/// A problem with a safetensors file; every case names the file.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
  case unreadable(path: String, reason: String)
  case truncated(path: String, reason: String)
  case invalidHeader(path: String, reason: String)
  case unsupportedDType(path: String, tensor: String, dtype: String)
  case missingTensor(path: String, tensor: String)
  case wrongDType(path: String, tensor: String, dtype: String, expected: String)
  case unwritable(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): return "\(path): cannot read safetensors file: \(reason)"
    case .truncated(let path, let reason): return "\(path): truncated safetensors file: \(reason)"
    case .invalidHeader(let path, let reason): return "\(path): invalid safetensors header: \(reason)"
    case .unsupportedDType(let path, let tensor, let dtype):
      return "\(path): tensor '\(tensor)' has unsupported dtype '\(dtype)', expected one of \(SafetensorsDType.allCases.map(\.rawValue))"
    case .missingTensor(let path, let tensor): return "\(path): no tensor named '\(tensor)'"
    case .wrongDType(let path, let tensor, let dtype, let expected):
      return "\(path): tensor '\(tensor)' has dtype \(dtype), expected \(expected)"
    case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
    }
  }
}

/// A safetensors file read into memory: an 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
/// Format: https://github.com/huggingface/safetensors
public struct SafetensorsFile: Sendable {
  public struct TensorInfo: Sendable, Equatable {
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range inside the data section.
    public let range: Range<Int>
  }

  public let path: String
  public let tensors: [String: TensorInfo]
  public let metadata: [String: String]
  private let data: Data
  private let dataStart: Int

  /// Reads and validates a file. Every header entry is checked against the file size, so a
  /// truncated or corrupted file fails here with a typed error instead of at first use.
  public init(contentsOf url: URL) throws(SafetensorsError) {
    let path = url.path
    let bytes: Data
    do { bytes = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
      throw .unreadable(path: path, reason: error.localizedDescription)
    }
    try self.init(data: bytes, path: path)
  }

  public init(data bytes: Data, path: String) throws(SafetensorsError) {
    self.path = path
    guard bytes.count >= 8 else { throw .truncated(path: path, reason: "\(bytes.count) bytes, the header length alone takes 8") }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[bytes.startIndex + i]) << (8 * UInt64(i)) }
    // The format's reference implementation refuses headers above 100 MB: so do we, before reading one.
    guard headerLength <= 100_000_000 else {
      throw .invalidHeader(path: path, reason: "a header of \(headerLength) bytes exceeds the 100 MB limit")
    }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw .truncated(path: path, reason: "header of \(headerLength) bytes but only \(bytes.count - 8) follow")
    }
    let start = bytes.startIndex + 8
    let headerData = bytes[start..<(start + Int(headerLength))]
    let json: Any
    do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
      throw .invalidHeader(path: path, reason: "not JSON (\(error.localizedDescription))")
    }
    guard let header = json as? [String: Any] else { throw .invalidHeader(path: path, reason: "not a JSON object") }
    // JSON objects may repeat a key, and the parser keeps one silently: refuse repeated names.
    if let repeated = Self.repeatedTopLevelKey(Array(headerData)) {
      throw .invalidHeader(path: path, reason: "tensor '\(repeated)' appears more than once")
    }
    let dataLength = bytes.count - 8 - Int(headerLength)
    var tensors: [String: TensorInfo] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let entries = value as? [String: Any] else { throw .invalidHeader(path: path, reason: "__metadata__ is not an object") }
        for (key, item) in entries {
          guard let text = item as? String else { throw .invalidHeader(path: path, reason: "__metadata__.\(key) is not a string") }
          metadata[key] = text
        }
        continue
      }
      guard let entry = value as? [String: Any] else { throw .invalidHeader(path: path, reason: "entry '\(name)' is not an object") }
      guard let dtypeName = entry["dtype"] as? String else { throw .invalidHeader(path: path, reason: "tensor '\(name)' has no dtype") }
      guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
        throw .unsupportedDType(path: path, tensor: name, dtype: dtypeName)
      }
      guard let shapeValues = entry["shape"] as? [Any], let shape = Self.integers(shapeValues), shape.allSatisfy({ $0 >= 0 })
      else { throw .invalidHeader(path: path, reason: "tensor '\(name)' has no valid shape") }
      guard let offsetValues = entry["data_offsets"] as? [Any], let offsets = Self.integers(offsetValues), offsets.count == 2,
        offsets[0] >= 0, offsets[0] <= offsets[1]
      else { throw .invalidHeader(path: path, reason: "tensor '\(name)' has no valid data_offsets") }
      guard offsets[1] <= dataLength else {
        throw .truncated(path: path, reason: "tensor '\(name)' ends at byte \(offsets[1]) of a \(dataLength)-byte data section")
      }
      var size: Int? = dtype.byteCount
      for dimension in shape {
        guard let current = size else { break }
        let (product, overflow) = current.multipliedReportingOverflow(by: dimension)
        size = overflow ? nil : product
      }
      guard let size else {
        throw .invalidHeader(path: path, reason: "tensor '\(name)' of shape \(shape) has more bytes than a 64-bit size can count")
      }
      guard size == offsets[1] - offsets[0] else {
        throw .invalidHeader(
          path: path,
          reason:
            "tensor '\(name)' of shape \(shape) and dtype \(dtypeName) needs \(size) bytes, data_offsets give \(offsets[1] - offsets[0])"
        )
      }
      tensors[name] = TensorInfo(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }
    // The tensors must tile the data section: no overlap, no gap, nothing after the last.
    var next = 0
    for (name, info) in tensors.sorted(by: {
      ($0.value.range.lowerBound, $0.value.range.upperBound) < ($1.value.range.lowerBound, $1.value.range.upperBound)
    }) {
      guard info.range.lowerBound == next else {
        throw .invalidHeader(
          path: path,
          reason: info.range.lowerBound < next
            ? "tensor '\(name)' overlaps the previous one (starts at byte \(info.range.lowerBound), before \(next))"
            : "bytes \(next)..<\(info.range.lowerBound) before tensor '\(name)' belong to no tensor")
      }
      next = info.range.upperBound
    }
    guard next == dataLength else {
      throw .invalidHeader(path: path, reason: "bytes \(next)..<\(dataLength) after the last tensor belong to no tensor")
    }
    self.tensors = tensors
    self.metadata = metadata
    self.data = bytes
    self.dataStart = start + Int(headerLength)
  }

  /// The first key that appears twice at the top level of a JSON object, scanning the text (the
  /// JSON parser keeps only one of them).
  static func repeatedTopLevelKey(_ json: [UInt8]) -> String? {
    var depth = 0, index = 0, seen = Set<String>()
    var expectingKey = false
    while index < json.count {
      let byte = json[index]
      switch byte {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        depth += 1
        expectingKey = byte == UInt8(ascii: "{") && depth == 1
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        depth -= 1
      case UInt8(ascii: ","):
        expectingKey = depth == 1
      case UInt8(ascii: "\""):
        // A string: find its end, skipping escapes.
        var end = index + 1
        while end < json.count && json[end] != UInt8(ascii: "\"") { end += json[end] == UInt8(ascii: "\\") ? 2 : 1 }
        if depth == 1 && expectingKey {
          let key = String(decoding: json[(index + 1)..<min(end, json.count)], as: UTF8.self)
          if !seen.insert(key).inserted { return key }
          expectingKey = false
        }
        index = end
      default: break
      }
      index += 1
    }
    return nil
  }

  private static func integers(_ values: [Any]) -> [Int]? {
    var result: [Int] = []
    for value in values {
      guard let number = value as? Int else { return nil }
      result.append(number)
    }
    return result
  }

  public var names: [String] { tensors.keys.sorted() }

  /// The tensor converted to Float32 (from F32, F16, BF16 or F64).
  public func floats(_ name: String) throws(SafetensorsError) -> [Float] {
    guard let info = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
    var result = [Float](repeating: 0, count: info.range.count / info.dtype.byteCount)
    try result.withUnsafeMutableBufferPointer { (out) throws(SafetensorsError) in try readFloats(name, into: out) }
    return result
  }

  /// Converts the tensor to Float32 into `out`, which must hold exactly its element count.
  public func readFloats(_ name: String, into out: UnsafeMutableBufferPointer<Float>) throws(SafetensorsError) {
    guard let info = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
    let count = info.range.count / info.dtype.byteCount
    precondition(out.count == count, "destination size mismatch")
    let begin = dataStart + info.range.lowerBound
    let dtype = info.dtype
    switch dtype {
    case .f32, .f16, .bf16, .f64: break
    default: throw .wrongDType(path: path, tensor: name, dtype: dtype.rawValue, expected: "a floating-point type")
    }
    data.withUnsafeBytes { raw in
      let base = raw.baseAddress! + (begin - data.startIndex)
      for i in 0..<count {
        switch dtype {
        case .f32: out[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case .f64: out[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        case .bf16:
          let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
          out[i] = Float(bitPattern: UInt32(bits) << 16)
        case .f16:
          let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
          out[i] = Float(halfBits: bits)
        default: break
        }
      }
    }
  }

  /// The tensor as integers (from I32, I64, I16, I8 or U8).
  public func integers(_ name: String) throws(SafetensorsError) -> [Int] {
    guard let info = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
    let count = info.range.count / info.dtype.byteCount
    let begin = dataStart + info.range.lowerBound
    let dtype = info.dtype
    switch dtype {
    case .i64, .i32, .i16, .i8, .u8: break
    default: throw .wrongDType(path: path, tensor: name, dtype: dtype.rawValue, expected: "an integer type")
    }
    return data.withUnsafeBytes { raw in
      let base = raw.baseAddress! + (begin - data.startIndex)
      return (0..<count).map { i in
        switch dtype {
        case .i64: return Int(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        case .i32: return Int(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        case .i16: return Int(Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        case .i8: return Int(base.load(fromByteOffset: i, as: Int8.self))
        default: return Int(base.load(fromByteOffset: i, as: UInt8.self))
        }
      }
    }
  }
}

extension Float {
  /// Converts IEEE 754 binary16 bits (done by hand: `Float16` is unavailable on some platforms).
  init(halfBits bits: UInt16) {
    let sign = UInt32(bits >> 15) << 31
    let exponent = Int((bits >> 10) & 0x1f)
    let mantissa = UInt32(bits & 0x3ff)
    if exponent == 0 {
      // Zero or subnormal: mantissa · 2⁻²⁴.
      let magnitude = Float(mantissa) * 0x1p-24
      self = sign == 0 ? magnitude : -magnitude
    } else if exponent == 31 {
      self = Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    } else {
      self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
  }
}
