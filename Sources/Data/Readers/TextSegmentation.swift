/// How a text file is cut into documents.
public enum TextSegmentation: Sendable, Equatable {
  /// Paragraphs: runs of non-blank lines, split at lines that are empty or all whitespace. Lines
  /// lose trailing whitespace (and a '\r' of CRLF endings) and are joined with '\n'.
  case paragraphs
  /// Consecutive slices of `bytes` bytes of the raw file; the last may be shorter. A chunk may end
  /// inside a multi-byte UTF-8 character (tokens are bytes, so nothing is lost).
  case chunks(bytes: Int)

  /// The documents of `bytes` (empty ones never appear).
  func split(_ bytes: [UInt8]) -> [[UInt8]] {
    switch self {
    case .paragraphs:
      return TextLines.blocks(bytes) { line in line.isEmpty }
    case .chunks(let size):
      return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }
  }
}

/// Line handling shared by the plain-text and fortune readers.
enum TextLines {
  /// The lines of `bytes` (split at '\n', after a leading UTF-8 byte-order mark), each without
  /// trailing whitespace.
  static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    return bytes[start...].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
      var end = line.endIndex
      while end > line.startIndex, isSpace(line[end - 1]) { end -= 1 }
      return line[line.startIndex..<end]
    }
  }

  /// Blocks of lines between separator lines, joined with '\n'; blank lines at the start and end of
  /// a block are dropped, and blocks left empty are skipped.
  static func blocks(_ bytes: [UInt8], isSeparator: (ArraySlice<UInt8>) -> Bool) -> [[UInt8]] {
    var blocks: [[UInt8]] = []
    var current: [ArraySlice<UInt8>] = []
    func flush() {
      while let first = current.first, first.isEmpty { current.removeFirst() }
      while let last = current.last, last.isEmpty { current.removeLast() }
      if !current.isEmpty { blocks.append(Array(current.joined(separator: [UInt8(ascii: "\n")]))) }
      current.removeAll(keepingCapacity: true)
    }
    for line in lines(bytes) {
      if isSeparator(line) { flush() } else { current.append(line) }
    }
    flush()
    return blocks
  }

  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }
}
