// sacctmgr: the read-only part clients use to guess an account (CONTRACT.md AM-1):
// `sacctmgr -n -s list user USER format=account%20`. drover keeps no account database; a
// user's accounts are the ones their jobs were charged to, as accounting recorded them.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <iostream>

#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "common/text.h"

namespace drover::cli {
namespace {

std::string Lower(const std::string& s) { return AsciiLower(s); }

struct Column {
  std::string name;  // "User", "Account", "DefaultAccount"
  int width = 10;
};

int Usage(const std::string& why) {
  std::cerr << "sacctmgr: error: " << why
            << "\nusage: sacctmgr [-n] [-P|-p] [-s] list|show user|association [USER...] [user=USER] "
               "[format=User,Account%20,DefaultAccount]\n";
  return 1;
}

}  // namespace

int RunSacctmgr(const Args& args) {
  bool header = true, parsable = false, parsable2 = false;
  std::vector<std::string> words;
  for (const auto& a : args) {
    if (a == "-n" || a == "--noheader") header = false;
    else if (a == "-p" || a == "--parsable") parsable = true;
    else if (a == "-P" || a == "--parsable2") parsable2 = true;
    else if (a == "-s" || a == "--associations" || a == "-i" || a == "--immediate") continue;
    else if (a == "--help" || a == "-h") return Usage("read-only: only 'list user' and 'list association' are supported");
    else if (!a.empty() && a[0] == '-') return Usage("unknown option " + a);
    else words.push_back(a);
  }
  if (words.empty()) return Usage("no command given");
  const std::string verb = Lower(words[0]);
  if (verb != "list" && verb != "show") {
    return Usage("'" + words[0] + "' is not supported: drover keeps no account database (read-only list/show)");
  }
  if (words.size() < 2) return Usage("list what?");
  const std::string entity = Lower(words[1]);
  if (entity.rfind("user", 0) != 0 && entity.rfind("assoc", 0) != 0) {
    return Usage("cannot list '" + words[1] + "': use user or association");
  }
  std::vector<std::string> users;
  std::vector<Column> columns;
  for (size_t i = 2; i < words.size(); ++i) {
    const std::string& w = words[i];
    const auto eq = w.find('=');
    const std::string key = Lower(w.substr(0, eq));
    if (eq == std::string::npos) {
      if (key != "where" && key != "withassoc") users.push_back(w);
      continue;
    }
    const std::string value = w.substr(eq + 1);
    if (key == "user" || key == "users" || key == "name" || key == "names") {
      for (const auto& u : SplitList(value)) users.push_back(u);
    } else if (key == "format") {
      for (const auto& f : SplitList(value)) {
        Column c;
        const auto pct = f.find('%');
        c.name = Lower(f.substr(0, pct));
        if (pct != std::string::npos) {
          try {
            c.width = std::stoi(f.substr(pct + 1));
          } catch (const std::exception&) {
            return Usage("invalid width in '" + f + "'");
          }
        }
        if (c.name != "user" && c.name != "account" && c.name != "defaultaccount" && c.name != "cluster") {
          return Usage("unknown field '" + f + "': use User, Account, DefaultAccount or Cluster");
        }
        columns.push_back(c);
      }
    }
  }
  if (columns.empty()) columns = {{"user", 10}, {"account", 10}};
  if (users.empty()) {
    struct passwd* pw = getpwuid(getuid());
    users.push_back(pw ? pw->pw_name : std::to_string(getuid()));
  }

  auto client = ControllerClient::Connect(std::nullopt);
  if (!client.ok()) return ReportError("sacctmgr", client.status());
  v1::Body body;
  for (const auto& u : users) body.mutable_query_acct()->add_users(u);
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return ReportError("sacctmgr", reply.status());
  // One row per (user, account) that accounting has seen, in first-seen order.
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& j : reply->query_acct_response().jobs()) {
    if (j.spec().account().empty()) continue;
    std::pair<std::string, std::string> row{j.user(), j.spec().account()};
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
  }
  auto value = [&](const Column& c, const std::pair<std::string, std::string>& row) -> std::string {
    if (c.name == "user") return row.first;
    if (c.name == "cluster") return reply->query_acct_response().jobs_size() ? "drover" : "";
    if (c.name == "account") return row.second;
    // DefaultAccount: the first account seen for the user.
    for (const auto& r : rows) {
      if (r.first == row.first) return r.second;
    }
    return "";
  };
  auto title = [](const Column& c) -> std::string {
    if (c.name == "user") return "User";
    if (c.name == "account") return "Account";
    if (c.name == "cluster") return "Cluster";
    return "Def Acct";
  };
  // As Slurm's print_fields: right-justified to the width, one space after each column;
  // -p ends every field with '|', -P separates them with '|'.
  auto line = [&](const std::function<std::string(const Column&)>& text) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (parsable || parsable2) {
        out += text(columns[i]);
        if (parsable || i + 1 < columns.size()) out += "|";
      } else {
        out += Justify(text(columns[i]), columns[i].width, true) + " ";
      }
    }
    return out + "\n";
  };
  if (header) {
    std::cout << line(title);
    if (!parsable && !parsable2) {
      std::cout << line([](const Column& c) { return std::string(static_cast<size_t>(c.width), '-'); });
    }
  }
  for (const auto& row : rows) std::cout << line([&](const Column& c) { return value(c, row); });
  return 0;
}

}  // namespace drover::cli
