/// Reads files in the `fortune` format — entries separated by lines holding only `%` — with one
/// domain per file.
///
/// Debian's fortune packages make a topic-labelled, multilingual corpus this way:
/// `/usr/share/games/fortunes/{literature,science,people,…}` (`fortunes-min`, `fortunes`) and
/// `/usr/share/games/fortunes/<lang>/…` (`fortunes-de`, `-it`, `-es`, `-ru`, …). A directory is
/// read recursively; its `.dat` files (strfile's binary indices) and hidden files are skipped, and
/// a symbolic link to a file already read (`fortunes.u8 -> fortunes`) is read once. Domains are
/// named by the path relative to the directory (`literature`, `de/computer`) or, for a file given
/// directly, by its file name; a trailing `.u8` is dropped.
///
/// Within an entry, lines lose trailing whitespace and blank lines at its start and end are
/// dropped; entries left empty (two `%` lines in a row, a `%` first or last) are skipped.
public struct FortuneReader: Sendable {
  /// One domain per given path (a directory's own files, not its subdirectories, e.g. one language
  /// per `/usr/share/games/fortunes/<lang>`), named by the path's last component; otherwise one
  /// domain per file.
  public let domainPerPath: Bool

  public init(domainPerPath: Bool = false) { self.domainPerPath = domainPerPath }

  /// The entries of fortune-format text (see the type's documentation).
  public static func entries(_ bytes: [UInt8]) -> [[UInt8]] {
    TextLines.blocks(bytes) { line in line.count == 1 && line.first == UInt8(ascii: "%") }
  }

  /// The entries of fortune-format text.
  public static func entries(_ text: String) -> [String] {
    entries(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Reads fortune files and directories of them (see the type's documentation).
  ///
  /// - Throws: `.unreadable` for a missing path; `.empty` for a file without entries, a directory
  ///   without fortune files or no paths; `.invalidParameter` when two files get the same domain
  ///   name.
  public func read(paths: [String]) throws(DataError) -> Corpus {
    // (file, domain name, the given path it came from)
    var files: [(path: String, name: String, origin: String)] = []
    for path in paths {
      if FileAccess.isDirectory(path) == true {
        let found = try FileAccess.files(under: path, maxDepth: domainPerPath ? 0 : 32) { !$0.hasSuffix(".dat") }
        guard !found.isEmpty else {
          throw DataError(source: path, kind: .empty, expected: "at least one fortune file")
        }
        let folder = path.split(separator: "/").last.map(String.init) ?? path
        files += found.map { (FileAccess.join(path, $0), domainPerPath ? folder : Self.domainName($0), path) }
      } else {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        files.append((path, Self.domainName(name), path))
      }
    }
    guard !files.isEmpty else {
      throw DataError(source: "fortune", kind: .empty, expected: "at least one path")
    }
    var documents: [Document] = []
    var names: [String] = []
    // The path that opened each domain: a name is one domain only within one given path.
    var opener: [String: String] = [:]
    for file in files {
      let key = domainPerPath ? file.origin : file.path
      if let other = opener[file.name], other != key {
        throw DataError.parameter(file.path, "domain name", file.name, expected: "a name not already used by \(other)")
      }
      let entries = Self.entries(try FileAccess.read(file.path))
      guard !entries.isEmpty || domainPerPath else {
        throw DataError(source: file.path, kind: .empty, expected: "entries separated by '%' lines")
      }
      if opener[file.name] == nil {
        opener[file.name] = key
        names.append(file.name)
      }
      let domain = names.firstIndex(of: file.name) ?? 0
      documents += entries.map { Document(bytes: $0, domain: domain) }
    }
    return try Corpus(documents: documents, domainNames: names, source: paths.joined(separator: ", "))
  }

  private static func domainName(_ relativePath: String) -> String {
    relativePath.hasSuffix(".u8") ? String(relativePath.dropLast(3)) : relativePath
  }
}
