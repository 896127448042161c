//===- HtmlSite.cpp - What the pages of llvm-covmerge html share ----------===//
//
// The database read once for every page (labels, contexts, tests, files),
// escaping for HTML and JavaScript, and the frame of a page.
//
//===----------------------------------------------------------------------===//

#include "HtmlSite.h"
#include "CovmergeTool.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace html {

/// Per file, each label's summary and the union's, by path.
static Error loadFiles(const CovDB &DB, Site &S) {
  auto Ids = DB.files();
  if (!Ids)
    return Ids.takeError();
  StringMap<int64_t> IdOf;
  for (const auto &[Id, Path] : *Ids)
    IdOf[Path] = Id;
  auto Union = DB.fileSummaries(std::nullopt);
  if (!Union)
    return Union.takeError();
  std::vector<std::string> Paths;
  for (CovDB::FileSummary &U : *Union) {
    Paths.push_back(U.Path);
    Site::File F;
    F.Id = IdOf.lookup(U.Path);
    F.Path = U.Path;
    F.PerLabel.resize(S.Labels.size());
    F.Union = std::move(U);
    S.FileIndex[F.Id] = S.Files.size();
    S.Files.push_back(std::move(F));
  }
  std::vector<std::string> Short = shortPaths(Paths);
  for (size_t I = 0; I != S.Files.size(); ++I)
    S.Files[I].Short = std::move(Short[I]);
  for (size_t L = 0; L != S.Labels.size(); ++L) {
    auto Files = DB.fileSummaries(S.Labels[L].Id);
    if (!Files)
      return Files.takeError();
    for (CovDB::FileSummary &F : *Files) {
      auto It = S.FileIndex.find(IdOf.lookup(F.Path));
      if (It != S.FileIndex.end())
        S.Files[It->second].PerLabel[L] = std::move(F);
    }
  }
  return Error::success();
}

/// Contexts, their test pages (outside first, then test ids in byte order)
/// and their problems.
static Error loadContexts(const CovDB &DB, Site &S) {
  auto Contexts = DB.contexts(std::nullopt, std::nullopt);
  if (!Contexts)
    return Contexts.takeError();
  S.Contexts = std::move(*Contexts);
  std::map<std::optional<std::string>, size_t> Pages;
  for (const CovDB::ContextInfo &C : S.Contexts)
    Pages.try_emplace(C.Test, 0);
  for (auto &[Test, Page] : Pages) {
    Page = S.Tests.size();
    S.Tests.push_back(Test);
  }
  for (size_t I = 0; I != S.Contexts.size(); ++I) {
    S.ContextIndex[S.Contexts[I].Id] = I;
    S.TestPage.push_back(Pages[S.Contexts[I].Test]);
  }
  return DB.forEachProblem([&](const CovDB::ProblemRow &R) {
    S.Problems[R.ContextId].push_back(R.Problem);
    return Error::success();
  });
}

Expected<Site> loadSite(const CovDB &DB) {
  Site S;
  auto Labels = DB.labels();
  if (!Labels)
    return Labels.takeError();
  S.Labels = std::move(*Labels);
  for (size_t L = 0; L != S.Labels.size(); ++L)
    S.LabelIndex[S.Labels[L].Id] = L;
  auto Rules = DB.lineRules();
  if (!Rules)
    return Rules.takeError();
  S.LinesCounted = *Rules == LineRules::Covlock
                       ? "under covlock's line rules"
                       : "as llvm-cov show counts them";
  if (Error E = loadFiles(DB, S))
    return std::move(E);
  if (Error E = loadContexts(DB, S))
    return std::move(E);
  return std::move(S);
}

void writeEscaped(raw_ostream &OS, StringRef Text) {
  while (!Text.empty()) {
    size_t Run = Text.find_first_of("&<>\"'");
    OS << Text.take_front(Run);
    if (Run == StringRef::npos)
      return;
    switch (Text[Run]) {
    case '&':
      OS << "&amp;";
      break;
    case '<':
      OS << "&lt;";
      break;
    case '>':
      OS << "&gt;";
      break;
    case '"':
      OS << "&quot;";
      break;
    default:
      OS << "&#39;";
    }
    Text = Text.drop_front(Run + 1);
  }
}

std::string escape(StringRef Text) {
  std::string Out;
  raw_string_ostream OS(Out);
  writeEscaped(OS, printable(Text));
  return Out;
}

std::string jsString(StringRef Text) {
  std::string Out = "\"";
  std::string Safe = printable(Text);
  for (size_t I = 0; I != Safe.size(); ++I) {
    char C = Safe[I];
    StringRef Rest = StringRef(Safe).drop_front(I);
    // U+2028 and U+2029 end a line in older JavaScript.
    if (Rest.starts_with("\xe2\x80\xa8") || Rest.starts_with("\xe2\x80\xa9")) {
      Out += Rest[2] == '\xa8' ? "\\u2028" : "\\u2029";
      I += 2;
    } else if (C == '"' || C == '\\') {
      Out += '\\';
      Out += C;
    } else if (C == '<' || C == '>' || C == '&') {
      Out += C == '<' ? "\\u003c" : C == '>' ? "\\u003e" : "\\u0026";
    } else {
      Out += C; // printable(): no control bytes are left
    }
  }
  return Out + "\"";
}

std::string lineRanges(ArrayRef<uint32_t> Lines) {
  std::string Out;
  for (size_t I = 0; I != Lines.size();) {
    size_t J = I;
    while (J + 1 != Lines.size() && Lines[J + 1] == Lines[J] + 1)
      ++J;
    if (!Out.empty())
      Out += ", ";
    Out += std::to_string(Lines[I]);
    if (J != I)
      Out += "-" + std::to_string(Lines[J]);
    I = J + 1;
  }
  return Out;
}

std::string ratio(int64_t Part, int64_t Whole) {
  std::string S;
  raw_string_ostream OS(S);
  OS << Part << '/' << Whole;
  if (Whole > 0)
    OS << format(" (%.2f%%)", 100.0 * Part / Whole);
  return S;
}

std::string testName(const std::optional<std::string> &Test) {
  return Test ? *Test : "(outside tests)";
}

void beginPage(raw_ostream &OS, StringRef Title, StringRef Root) {
  OS << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n"
     << "<title>" << escape(Title) << "</title>\n"
     << "<link rel=\"stylesheet\" href=\"" << Root << "style.css\">\n"
     << "</head>\n<body>\n<nav><a href=\"" << Root
     << "index.html\">Files</a> <a href=\"" << Root
     << "tests.html\">Tests</a></nav>\n";
}

void endPage(raw_ostream &OS, StringRef Root, ArrayRef<std::string> Scripts) {
  for (const std::string &Src : Scripts)
    OS << "<script src=\"" << Src << "\"></script>\n";
  OS << "<script src=\"" << Root << "site.js\"></script>\n</body>\n</html>\n";
}

Error writeFile(const Twine &Path, function_ref<void(raw_ostream &)> Write) {
  std::string P = Path.str();
  std::error_code EC;
  raw_fd_ostream OS(P, EC);
  if (EC)
    return createFileError(P, EC);
  Write(OS);
  OS.close();
  if (OS.has_error()) {
    EC = OS.error();
    OS.clear_error();
    return createFileError(P, EC);
  }
  return Error::success();
}

} // namespace html
