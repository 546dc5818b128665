/// A JSON value as far as the JSON Lines reader cares: strings keep their decoded bytes,
/// integers their value; everything else only its kind.
enum JSONValue: Equatable {
  case string([UInt8])
  case integer(Int)
  /// A number with a fraction or exponent, or an integer beyond Int's range.
  case number
  case bool
  case null
  case array
  case object

  /// "a string", "an integer", … for error messages.
  var kindDescription: String {
    switch self {
    case .string: return "a string"
    case .integer: return "an integer"
    case .number: return "a number"
    case .bool: return "a boolean"
    case .null: return "null"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}

/// A recursive-descent parser for one line of JSON Lines: a JSON object (RFC 8259) followed by
/// nothing but whitespace. It keeps the top-level fields with their byte offsets, so errors can
/// name the column; nested values are checked and discarded.
struct JSONLineParser {
  /// One top-level field: its value, and the byte range of the value's text.
  struct Field {
    var value: JSONValue
    var range: Range<Int>
  }

  static let maximumDepth = 512

  let bytes: [UInt8]
  let lineStart: Int
  let lineEnd: Int
  let file: String
  let line: Int
  private var p: Int

  init(bytes: [UInt8], lineStart: Int, lineEnd: Int, file: String, line: Int) {
    self.bytes = bytes
    self.lineStart = lineStart
    self.lineEnd = lineEnd
    self.file = file
    self.line = line
    self.p = lineStart
  }

  /// The top-level fields of the line's object (a repeated key keeps its last value, as most JSON
  /// readers do).
  mutating func parseObjectLine() throws(DataError) -> [String: Field] {
    skipSpace()
    guard p < lineEnd, bytes[p] == UInt8(ascii: "{") else { throw error(expected: "a JSON object '{'") }
    var fields: [String: Field] = [:]
    p += 1
    skipSpace()
    if peek(UInt8(ascii: "}")) {
      p += 1
    } else {
      while true {
        skipSpace()
        guard peek(UInt8(ascii: "\"")) else { throw error(expected: "a field name in double quotes") }
        let key = String(decoding: try parseString(), as: UTF8.self)
        skipSpace()
        guard peek(UInt8(ascii: ":")) else { throw error(expected: "':' after the field name") }
        p += 1
        skipSpace()
        let start = p
        let value = try parseValue(depth: 1)
        fields[key] = Field(value: value, range: start..<p)
        skipSpace()
        if peek(UInt8(ascii: ",")) {
          p += 1
        } else if peek(UInt8(ascii: "}")) {
          p += 1
          break
        } else {
          throw error(expected: "',' or '}'")
        }
      }
    }
    skipSpace()
    guard p == lineEnd else { throw error(expected: "end of line after the object") }
    return fields
  }

  // MARK: Values

  private mutating func parseValue(depth: Int) throws(DataError) -> JSONValue {
    guard depth <= Self.maximumDepth else {
      throw error(expected: "nesting at most \(Self.maximumDepth) levels deep")
    }
    guard p < lineEnd else { throw error(expected: "a JSON value") }
    switch bytes[p] {
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), keyed: true, depth: depth); return .object
    case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), keyed: false, depth: depth); return .array
    case UInt8(ascii: "t"): try literal("true"); return .bool
    case UInt8(ascii: "f"): try literal("false"); return .bool
    case UInt8(ascii: "n"): try literal("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw error(expected: "a JSON value")
    }
  }

  private mutating func skipContainer(close: UInt8, keyed: Bool, depth: Int) throws(DataError) {
    p += 1
    skipSpace()
    if peek(close) { p += 1; return }
    while true {
      skipSpace()
      if keyed {
        guard peek(UInt8(ascii: "\"")) else { throw error(expected: "a field name in double quotes") }
        _ = try parseString()
        skipSpace()
        guard peek(UInt8(ascii: ":")) else { throw error(expected: "':' after the field name") }
        p += 1
        skipSpace()
      }
      _ = try parseValue(depth: depth + 1)
      skipSpace()
      if peek(UInt8(ascii: ",")) {
        p += 1
      } else if peek(close) {
        p += 1
        return
      } else {
        throw error(expected: keyed ? "',' or '}'" : "',' or ']'")
      }
    }
  }

  private mutating func literal(_ word: StaticString) throws(DataError) {
    let start = p
    let text = word.withUTF8Buffer { Array($0) }
    guard lineEnd - p >= text.count, bytes[p..<p + text.count].elementsEqual(text) else {
      p = start
      throw error(expected: "a JSON value")
    }
    p += text.count
  }

  /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  private mutating func parseNumber() throws(DataError) -> JSONValue {
    var integer = true
    var value = 0
    var overflow = false
    let negative = peek(UInt8(ascii: "-"))
    if negative { p += 1 }
    guard p < lineEnd, isDigit(bytes[p]) else { throw error(expected: "a digit") }
    if bytes[p] == UInt8(ascii: "0") {
      p += 1
    } else {
      while p < lineEnd, isDigit(bytes[p]) {
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let digit = Int(bytes[p] - UInt8(ascii: "0"))
        let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
        overflow = overflow || o1 || o2
        value = next
        p += 1
      }
    }
    if peek(UInt8(ascii: ".")) {
      integer = false
      p += 1
      guard p < lineEnd, isDigit(bytes[p]) else { throw error(expected: "a digit after '.'") }
      while p < lineEnd, isDigit(bytes[p]) { p += 1 }
    }
    if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
      integer = false
      p += 1
      if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { p += 1 }
      guard p < lineEnd, isDigit(bytes[p]) else { throw error(expected: "a digit in the exponent") }
      while p < lineEnd, isDigit(bytes[p]) { p += 1 }
    }
    return integer && !overflow ? .integer(value) : .number
  }

  /// A string starting at the opening quote; returns its decoded UTF-8 bytes. Raw bytes ≥ 0x80
  /// are copied as they are.
  private mutating func parseString() throws(DataError) -> [UInt8] {
    p += 1
    var out: [UInt8] = []
    while true {
      guard p < lineEnd else { throw error(expected: "a closing '\"'") }
      let b = bytes[p]
      if b == UInt8(ascii: "\"") {
        p += 1
        return out
      }
      if b < 0x20 { throw error(expected: "an escaped control character (\\n, \\t, \\u00XX) in a string") }
      if b != UInt8(ascii: "\\") {
        out.append(b)
        p += 1
        continue
      }
      p += 1
      guard p < lineEnd else { throw error(expected: "an escape character after '\\'") }
      switch bytes[p] {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        let escape = p - 1
        var scalar = try hex4(at: p + 1)
        p += 5
        if (0xD800..<0xDC00).contains(scalar) {
          guard lineEnd - p >= 6, bytes[p] == UInt8(ascii: "\\"), bytes[p + 1] == UInt8(ascii: "u"),
            case let low = try hex4(at: p + 2), (0xDC00..<0xE000).contains(low)
          else {
            p = escape
            throw error(expected: "a high surrogate followed by a \\u low surrogate")
          }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          p += 6
        } else if (0xDC00..<0xE000).contains(scalar) {
          p = escape
          throw error(expected: "a low surrogate only after a high surrogate")
        }
        guard let unicode = Unicode.Scalar(scalar) else {
          p = escape
          throw error(expected: "a Unicode scalar")
        }
        out.append(contentsOf: String(Character(unicode)).utf8)
        continue
      default:
        throw error(expected: "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
      }
      p += 1
    }
  }

  private mutating func hex4(at start: Int) throws(DataError) -> UInt32 {
    var value: UInt32 = 0
    for i in start..<start + 4 {
      guard i < lineEnd, let digit = hexValue(bytes[i]) else {
        p = min(i, lineEnd)
        throw error(expected: "four hexadecimal digits after \\u")
      }
      value = value << 4 | digit
    }
    return value
  }

  // MARK: Helpers

  private func peek(_ b: UInt8) -> Bool { p < lineEnd && bytes[p] == b }

  private mutating func skipSpace() {
    while p < lineEnd, bytes[p] == 0x20 || bytes[p] == 0x09 || bytes[p] == 0x0D { p += 1 }
  }

  private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

  private func hexValue(_ b: UInt8) -> UInt32? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }

  /// The 1-based character column of byte offset `position` of this line.
  func column(of position: Int) -> Int {
    1 + bytes[lineStart..<min(position, lineEnd)].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
  }

  /// The text of `range`, shortened to 40 characters.
  func excerpt(_ range: Range<Int>) -> String {
    let text = String(decoding: bytes[range], as: UTF8.self)
    return text.count > 40 ? String(text.prefix(39)) + "…" : text
  }

  /// A malformed-JSON error at the current position, showing the character found there.
  private func error(expected: String) -> DataError {
    var end = p
    if p < lineEnd {
      end += 1
      while end < lineEnd && bytes[end] & 0xC0 == 0x80 { end += 1 }
    }
    return DataError(
      source: file, line: line, column: column(of: p), text: excerpt(p..<end), kind: .malformedJSON,
      expected: expected)
  }
}
