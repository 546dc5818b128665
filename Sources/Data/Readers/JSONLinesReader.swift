/// Reads JSON Lines files: one JSON object per line, with a text field and a domain field.
///
/// ```
/// {"text": "Il pleut.", "domain": "fr"}
/// {"text": "It rains.", "domain": "en", "id": 7}
/// ```
/// Other fields are ignored; blank lines are skipped, and so are records whose text is empty.
/// The text becomes byte tokens (its UTF-8 after JSON escapes are decoded).
///
/// Domains are either all strings — domain names, numbered in byte order of the names — or all
/// non-negative integers d, used as the domain index directly with names "0" … "max d" (a label
/// that never occurs leaves an empty domain). Mixing the two is an error at the first record
/// that differs from the first one. Without a domain field everything is domain 0, named by the
/// first file.
///
/// Every problem is a `DataError` at file:line:column naming what was expected, including JSON
/// syntax errors.
public struct JSONLinesReader: Sendable {
  /// Integer domain labels at or above this are rejected (a typo would create that many domains).
  public static let maximumIntegerDomain = 1 << 20

  public var textField: String
  /// nil: one domain for the whole input.
  public var domainField: String?

  public init(textField: String = "text", domainField: String? = "domain") {
    self.textField = textField
    self.domainField = domainField
  }

  /// Reads and parses files, pooling their records (domains are shared across files).
  public func read(paths: [String]) throws(DataError) -> Corpus {
    guard !paths.isEmpty else {
      throw DataError(source: "json-lines", kind: .empty, expected: "at least one file")
    }
    var records = Records()
    for path in paths { try scan(try FileAccess.read(path), file: path, into: &records) }
    return try records.corpus(source: paths.joined(separator: ", "), domainField: domainField, firstFile: paths[0])
  }

  /// Reads and parses one file.
  public func read(path: String) throws(DataError) -> Corpus { try read(paths: [path]) }

  /// Parses JSON Lines text; `file` names it in errors.
  public func parse(_ text: String, file: String = "<json lines>") throws(DataError) -> Corpus {
    var records = Records()
    try scan(Array(text.utf8), file: file, into: &records)
    return try records.corpus(source: file, domainField: domainField, firstFile: file)
  }

  // MARK: Scanning

  /// A domain label with where it was read.
  enum Label {
    case name(String)
    case index(Int)
  }

  struct Records {
    var texts: [[UInt8]] = []
    var labels: [Label] = []
    /// The kind of the first label: true for integers; and its location for messages.
    var firstLabel: (integer: Bool, file: String, line: Int)?

    func corpus(source: String, domainField: String?, firstFile: String) throws(DataError) -> Corpus {
      guard !texts.isEmpty else {
        throw DataError(source: source, kind: .empty, expected: "at least one record with non-empty text")
      }
      guard domainField != nil else {
        let name = firstFile.split(separator: "/").last.map(String.init) ?? firstFile
        return try Corpus(documents: texts.map { Document(bytes: $0, domain: 0) }, domainNames: [name], source: source)
      }
      if firstLabel?.integer == true {
        let indices = labels.map { if case .index(let d) = $0 { d } else { 0 } }
        let names = (0...(indices.max() ?? 0)).map(String.init)
        let documents = zip(texts, indices).map { Document(bytes: $0, domain: $1) }
        return try Corpus(documents: documents, domainNames: names, source: source)
      }
      let strings = labels.map { if case .name(let n) = $0 { n } else { "" } }
      let names = Set(strings).sorted(by: FileAccess.byteOrder)
      let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
      let documents = zip(texts, strings).map { Document(bytes: $0, domain: index[$1] ?? 0) }
      return try Corpus(documents: documents, domainNames: names, source: source)
    }
  }

  func scan(_ bytes: [UInt8], file: String, into records: inout Records) throws(DataError) {
    var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var lineNumber = 0
    while start < bytes.count {
      let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
      lineNumber += 1
      defer { start = end + 1 }
      if bytes[start..<end].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      var parser = JSONLineParser(bytes: bytes, lineStart: start, lineEnd: end, file: file, line: lineNumber)
      let fields = try parser.parseObjectLine()
      let objectColumn = parser.column(of: bytes[start..<end].firstIndex(of: UInt8(ascii: "{")) ?? start)

      guard let text = fields[textField] else {
        throw DataError(
          source: file, line: lineNumber, column: objectColumn, kind: .missingField(textField),
          expected: "an object with a string field '\(textField)'")
      }
      guard case .string(let textBytes) = text.value else {
        throw wrongType(textField, text, parser, expected: "a string")
      }
      guard let domainField else {
        if !textBytes.isEmpty { records.texts.append(textBytes); records.labels.append(.index(0)) }
        continue
      }
      guard let domain = fields[domainField] else {
        throw DataError(
          source: file, line: lineNumber, column: objectColumn, kind: .missingField(domainField),
          expected: "an object with a string or integer field '\(domainField)'")
      }
      let label: Label
      switch domain.value {
      case .string(let name):
        label = .name(String(decoding: name, as: UTF8.self))
      case .integer(let d):
        guard d >= 0 && d < Self.maximumIntegerDomain else {
          throw DataError(
            source: file, line: lineNumber, column: parser.column(of: domain.range.lowerBound),
            text: parser.excerpt(domain.range), kind: .invalidValue(field: domainField),
            expected: "a domain index in 0..<\(Self.maximumIntegerDomain)")
        }
        label = .index(d)
      default:
        throw wrongType(domainField, domain, parser, expected: "a string or an integer")
      }
      let isInteger: Bool
      if case .index = label { isInteger = true } else { isInteger = false }
      if let first = records.firstLabel {
        if first.integer != isInteger {
          let where_ = first.file == file ? "line \(first.line)" : "\(first.file):\(first.line)"
          throw wrongType(
            domainField, domain, parser,
            expected: first.integer ? "an integer like \(where_)" : "a string like \(where_)")
        }
      } else {
        records.firstLabel = (isInteger, file, lineNumber)
      }
      if !textBytes.isEmpty {
        records.texts.append(textBytes)
        records.labels.append(label)
      }
    }
  }

  private func wrongType(
    _ field: String, _ found: JSONLineParser.Field, _ parser: JSONLineParser, expected: String
  ) -> DataError {
    DataError(
      source: parser.file, line: parser.line, column: parser.column(of: found.range.lowerBound),
      text: parser.excerpt(found.range), kind: .wrongType(field: field, found: found.value.kindDescription),
      expected: expected)
  }
}
