"""The words of diffs and changelogs, in English and Simplified Chinese.

>>> from ctlbuild.reports.i18n import messages
>>> t = messages("zh-CN")
>>> t("changelog.col.issuer"), t("count.certificates_added", n=5)
('颁发者', '新增 5 个证书')
>>> messages("en")("count.certificates_added", n=1)
'1 certificate added'

A message is a ``str.format`` template; one given as a pair is (singular, plural)
and chosen by ``n``. Templates (templates/*.j2) call the same catalogue as ``t``,
so one template serves every language. A key missing from a language falls back
to English, so a partial catalogue still renders.
"""

from __future__ import annotations

from datetime import date

from ..oids import EKU_DISPLAY, EV_DISABLED

#: English month names, spelled here rather than by the locale (calendar.month_name follows LC_TIME).
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")

LANGUAGES = ("en", "zh-CN")

_EN: dict[str, str | tuple[str, str]] = {
    # -- shared
    "none": "(none)",
    "list_sep": ", ",
    "sentence_sep": " ",
    "clause_sep": ", ",
    "label_sep": ": ",
    "arrow": " → ",
    "kind.disallowed": "untrusted-certificate list",
    "kind.trusted": "trusted root list",
    # -- diff: sides, verdicts, notes
    "diff.title": "Changes from {old} to {new}",
    "diff.old": "old",
    "diff.new": "new",
    "diff.side": "{file} ({kind}; {entries}; sequence number {sequence}; this update {this_update})",
    "count.entries": ("{n} entry", "{n} entries"),
    "diff.identical": "Identical: the same CTL content and the same envelope.",
    "diff.identical_unsigned": "Identical CTL content (envelope not compared: {file} is not signed).",
    "diff.content_identical_envelope": "Content identical; envelope changed: {what}.",
    "diff.reordered": "Entries appear in another order; that is not a change (Microsoft reorders "
                      "entries between releases).",
    "diff.sets_reordered": ("The EKU or policy lists of {n} entry are in another order; Windows reads them "
                            "as sets, so that is not a change.",
                            "The EKU or policy lists of {n} entries are in another order; Windows reads them "
                            "as sets, so that is not a change."),
    "diff.encoding_changed": "The CTL bytes differ but no field, entry or order does: the same "
                             "content, encoded differently.",
    "diff.no_changes": "No changes.",
    "diff.summary": "{added} added, {removed} removed, {changed} changed.",
    "diff.summary_header": ("{n} header field changed.", "{n} header fields changed."),
    # -- diff: sections
    "diff.section_count": "{heading} ({n})",
    "diff.section.header": "Header",
    "diff.section.extensions": "Extensions",
    "diff.section.added": "Added",
    "diff.section.removed": "Removed",
    "diff.section.changed": "Changed",
    "diff.section.envelope": "Envelope",
    "diff.issuer": "(issuer: {issuer})",
    # -- diff: header fields
    "field.sequence_number": "sequence number",
    "field.this_update": "this update",
    "field.next_update": "next update",
    "field.usages": "usage",
    "field.list_identifier": "list identifier",
    "field.subject_algorithm": "subject algorithm",
    "field.change": "{field}: {old} → {new}",
    "ext.added": "extension {oid} added",
    "ext.removed": "extension {oid} removed",
    "ext.changed": "extension {oid} changed",
    "ext.ct_log_list": "certificate-transparency log list",
    "ct.added": "CT log added: {id}",
    "ct.removed": "CT log removed: {id}",
    # -- diff: envelope
    "env.signer": "signer {old} → {new}",
    "env.signer_text": "{subject} (serial {serial}, {digest})",
    "env.certificates_added": "embedded certificates added: {list}",
    "env.certificates_removed": "embedded certificates removed: {list}",
    "env.resigned": "signed again (signing time {old} → {new})",
    "env.resigned_no_time": "signed again",
    # -- diff: entry attributes
    "attr.ekus": "EKUs",
    "attr.disallowed_ekus": "disallowed EKUs",
    "attr.not_before_ekus": "NotBefore EKUs",
    "attr.ev_policies": "EV policies",
    "attr.chain_policies": "chain policies",
    "ekus.added": "EKUs added: {list}",
    "ekus.removed": "EKUs removed: {list}",
    "not_before_ekus.added": "NotBefore EKUs added: {list}",
    "not_before_ekus.removed": "NotBefore EKUs removed: {list}",
    "ev_policies.added": "EV policies added: {list}",
    "ev_policies.removed": "EV policies removed: {list}",
    "ev_policy_disabled": "{oid} (EV disabled)",
    "chain_policies.added": "chain policies added: {list}",
    "chain_policies.removed": "chain policies removed: {list}",
    "set.now_empty": "{what}: attribute now present and empty",
    "set.was_empty": "{what}: empty attribute removed",
    "disallowed_ekus.added": "EKUs disallowed: {list}",
    "disallowed_ekus.removed": "EKUs no longer disallowed: {list}",
    "disabled_since.set": "disabled since {new}",
    "disabled_since.moved": "disabled-since date moved: {old} → {new}",
    "disabled_since.cleared": "disabled-since date cleared (was {old})",
    "not_before.set": "NotBefore date set: {new}",
    "not_before.moved": "NotBefore date moved: {old} → {new}",
    "not_before.cleared": "NotBefore date cleared (was {old})",
    "no_date": "no date",
    "friendly_name.changed": "friendly name: {old} → {new}",
    "friendly_name.set": "friendly name set: {new}",
    "friendly_name.cleared": "friendly name cleared (was {old})",
    "value.sha256": "SHA-256 hash property",
    "value.key_id": "key identifier property",
    "value.subject_name_md5": "subject name MD5 property",
    "value.changed": "{what}: {old} → {new}",
    "value.set": "{what} set: {new}",
    "value.cleared": "{what} cleared (was {old})",
    "raw_attributes.changed": "other attributes changed: {list}",
    "certificate.set": "certificate now present",
    "certificate.cleared": "certificate now absent",
    # -- changelog
    "changelog.advisory": "Advisory {number}",
    "changelog.published": "Published: {date}",
    "changelog.updated": "Updated: {date}",
    "changelog.dates_sep": " | ",
    "changelog.version_word": "Version",
    "changelog.detail.added": "Added: {name}",
    "changelog.detail.removed": "Removed: {name}",
    "changelog.detail.changed": "Changed: {name}: {changes}",
    "changelog.detail.name": "{name} ({thumbprint})",
    # Dates as the advisory prints them: in revision labels (long) and in its header line.
    "date.long": "{month_name} {day}, {year}",
    "date.header": "{month_name} {day}, {year}",
    "changelog.more": "More information",
    "changelog.heading.summary": "Summary",
    "changelog.heading.table": "Certificates",
    "changelog.heading.revisions": "Revision history",
    "changelog.summary": "The {kind} “{name}”: {versions} from {first} to {last}. {total} have "
                         "appeared in it; the latest version lists {current}.",
    "changelog.summary_one": "The {kind} “{name}”: one version, {first}. It lists {current}.",
    "changelog.table_intro": "Every certificate that has appeared in the list, with the updates "
                             "that added it:",
    "count.versions": ("{n} version", "{n} versions"),
    "count.certificates": ("{n} certificate", "{n} certificates"),
    "changelog.col.certificate": "Certificate",
    "changelog.col.issuer": "Issuer",
    "changelog.col.thumbprint": "Thumbprint",
    "changelog.col.update": "Update",
    "changelog.update_sep": ", ",
    "changelog.removed_in": "removed in {version}",
    "changelog.cell_sep": "; ",
    "count.certificates_added": ("{n} certificate added", "{n} certificates added"),
    "count.certificates_removed": ("{n} certificate removed", "{n} certificates removed"),
    "count.certificates_changed": ("{n} certificate changed", "{n} certificates changed"),
    "count.removed": "{n} removed",
    "count.changed": "{n} changed",
    "changelog.changes_end": ".",
    "changelog.no_entry_changes": "No change to the entries.",
    "changelog.revision_label": "{version} ({date})",
}

_ZH: dict[str, str | tuple[str, str]] = {
    "none": "（无）",
    "list_sep": "、",
    "sentence_sep": "",
    "clause_sep": "，",
    "label_sep": "：",
    "arrow": " → ",
    "kind.disallowed": "不受信任的证书列表",
    "kind.trusted": "受信任的根证书列表",
    "diff.title": "从 {old} 到 {new} 的更改",
    "diff.old": "旧版本",
    "diff.new": "新版本",
    "diff.side": "{file}（{kind}；{entries}；序列号 {sequence}；本次更新 {this_update}）",
    "count.entries": "{n} 个条目",
    "diff.identical": "完全相同：CTL 内容与签名信封均相同。",
    "diff.identical_unsigned": "CTL 内容相同（未比较签名信封：{file} 未签名）。",
    "diff.content_identical_envelope": "内容相同；签名信封已更改：{what}。",
    "diff.reordered": "条目顺序不同；这不算更改（Microsoft 在各版本之间会重新排列条目）。",
    "diff.sets_reordered": "{n} 个条目的 EKU 或策略列表顺序不同；Windows 将其视为集合，这不算更改。",
    "diff.encoding_changed": "CTL 字节不同，但字段、条目和顺序都相同：相同的内容，不同的编码。",
    "diff.no_changes": "没有更改。",
    "diff.summary": "新增 {added} 个，删除 {removed} 个，更改 {changed} 个。",
    "diff.summary_header": "{n} 个标头字段已更改。",
    "diff.section_count": "{heading}（{n}）",
    "diff.section.header": "标头",
    "diff.section.extensions": "扩展",
    "diff.section.added": "新增",
    "diff.section.removed": "删除",
    "diff.section.changed": "更改",
    "diff.section.envelope": "签名信封",
    "diff.issuer": "（颁发者：{issuer}）",
    "field.sequence_number": "序列号",
    "field.this_update": "本次更新",
    "field.next_update": "下次更新",
    "field.usages": "用途",
    "field.list_identifier": "列表标识符",
    "field.subject_algorithm": "主题算法",
    "field.change": "{field}：{old} → {new}",
    "ext.added": "已添加扩展 {oid}",
    "ext.removed": "已删除扩展 {oid}",
    "ext.changed": "扩展 {oid} 已更改",
    "ext.ct_log_list": "证书透明度日志列表",
    "ct.added": "已添加 CT 日志：{id}",
    "ct.removed": "已删除 CT 日志：{id}",
    "env.signer": "签名者 {old} → {new}",
    "env.signer_text": "{subject}（序列号 {serial}，{digest}）",
    "env.certificates_added": "已添加嵌入的证书：{list}",
    "env.certificates_removed": "已删除嵌入的证书：{list}",
    "env.resigned": "已重新签名（签名时间 {old} → {new}）",
    "env.resigned_no_time": "已重新签名",
    "attr.ekus": "EKU",
    "attr.disallowed_ekus": "禁止的 EKU",
    "attr.not_before_ekus": "NotBefore EKU",
    "attr.ev_policies": "EV 策略",
    "attr.chain_policies": "链策略",
    "ekus.added": "增加的 EKU：{list}",
    "ekus.removed": "删除的 EKU：{list}",
    "not_before_ekus.added": "增加的 NotBefore EKU：{list}",
    "not_before_ekus.removed": "删除的 NotBefore EKU：{list}",
    "ev_policies.added": "增加的 EV 策略：{list}",
    "ev_policies.removed": "删除的 EV 策略：{list}",
    "ev_policy_disabled": "{oid}（已禁用 EV）",
    "chain_policies.added": "增加的链策略：{list}",
    "chain_policies.removed": "删除的链策略：{list}",
    "set.now_empty": "{what}：属性现已存在且为空",
    "set.was_empty": "{what}：已删除空属性",
    "disallowed_ekus.added": "禁止的 EKU：{list}",
    "disallowed_ekus.removed": "不再禁止的 EKU：{list}",
    "disabled_since.set": "自 {new} 起禁用",
    "disabled_since.moved": "禁用日期已从 {old} 改为 {new}",
    "disabled_since.cleared": "已清除禁用日期（原为 {old}）",
    "not_before.set": "已设置 NotBefore 日期：{new}",
    "not_before.moved": "NotBefore 日期已从 {old} 改为 {new}",
    "not_before.cleared": "已清除 NotBefore 日期（原为 {old}）",
    "no_date": "无日期",
    "friendly_name.changed": "友好名称：{old} → {new}",
    "friendly_name.set": "已设置友好名称：{new}",
    "friendly_name.cleared": "已清除友好名称（原为 {old}）",
    "value.sha256": "SHA-256 哈希属性",
    "value.key_id": "密钥标识符属性",
    "value.subject_name_md5": "使用者名称 MD5 属性",
    "value.changed": "{what}：{old} → {new}",
    "value.set": "已设置{what}：{new}",
    "value.cleared": "已清除{what}（原为 {old}）",
    "raw_attributes.changed": "其他属性已更改：{list}",
    "certificate.set": "现在包含证书",
    "certificate.cleared": "不再包含证书",
    "changelog.advisory": "通报 {number}",
    # The advisory's own header line: "发布时间: 2011年8月29日 | 更新时间: 2011年9月19日 **版本:** 5.0"
    "changelog.published": "发布时间: {date}",
    "changelog.updated": "更新时间: {date}",
    "changelog.dates_sep": " | ",
    "changelog.version_word": "版本",
    "changelog.revision_label": "{version}（{date}）",
    "changelog.detail.added": "新增：{name}",
    "changelog.detail.removed": "删除：{name}",
    "changelog.detail.changed": "更改：{name}：{changes}",
    "changelog.detail.name": "{name}（{thumbprint}）",
    # Its revision lines space the numbers ("2011 年 8 月 29 日"); its header does not.
    "date.long": "{year} 年 {month} 月 {day} 日",
    "date.header": "{year}年{month}月{day}日",
    "changelog.more": "详细信息",
    "changelog.heading.summary": "摘要",
    "changelog.heading.table": "证书",
    "changelog.heading.revisions": "修订历史记录",
    "changelog.summary": "{kind}“{name}”：{versions}（{first} 至 {last}）。共有 {total}曾出现在此列表中；"
                         "最新版本包含 {current}。",
    "changelog.summary_one": "{kind}“{name}”：一个版本（{first}），包含 {current}。",
    "changelog.table_intro": "曾出现在此列表中的每个证书，以及添加它的更新：",
    "count.versions": "{n} 个版本",
    "count.certificates": "{n} 个证书",
    "changelog.col.certificate": "证书",
    "changelog.col.issuer": "颁发者",
    "changelog.col.thumbprint": "Thumbprint",  # the advisory keeps the English word
    "changelog.col.update": "更新",
    "changelog.update_sep": ", ",  # the advisory's zh-CN table separates KBs as the English one
    "changelog.removed_in": "已于 {version} 删除",
    "changelog.cell_sep": "；",
    "count.certificates_added": "新增 {n} 个证书",
    "count.certificates_removed": "删除 {n} 个证书",
    "count.certificates_changed": "更改 {n} 个证书",
    "count.removed": "删除 {n} 个",
    "count.changed": "更改 {n} 个",
    "changelog.changes_end": "。",
    "changelog.no_entry_changes": "条目没有更改。",
}

# -- history, trust, status (ctlbuild.reports.historyview, monitorview): one block, merged below
_EN_HISTORY: dict[str, str | tuple[str, str]] = {
    "history.title": ("History of {name}: {n} release", "History of {name}: {n} releases"),
    "history.span": "{first} to {last}",
    "history.releases": "Releases",
    "history.release_line": "{number}. {date}  {name}  (sequence number {sequence}): {what}",
    "history.commit": "commit {commit}",
    "history.counts": "{added} added, {removed} removed, {changed} changed",
    "history.header_changed": ("{n} header field changed", "{n} header fields changed"),
    "history.signer_changed": "signer changed",
    "history.problems": "Problems in the order of the releases",
    "history.problem.duplicate": "{release} is the same release as {other}: read once",
    "history.problem.same_sequence": "{release} and {other} have the same sequence number but different content",
    "history.problem.backwards": "{release} is newer than {other} but its sequence number is lower",
    "history.roots": "Roots that changed ({shown} of {total})",
    "history.roots_selected": "Roots asked for ({shown} of {total})",
    "history.unchanged": ("{n} root listed unchanged in every release.",
                          "{n} roots listed unchanged in every release."),
    "history.first_seen": "first seen",
    "history.removed": "removed from the list",
    "history.returned": "listed again",
    "history.last_seen": "last seen",
    "history.last_seen_present": "last seen (still listed in the newest release)",
    "history.no_date_always": "no date (always)",
    "set.reordered": "{what}: the same values in another order",
    "trust.trusted": "TRUSTED: {root} for {purpose} at {at} (certificate issued {issued})",
    "trust.not_trusted": "NOT TRUSTED: {root} for {purpose} at {at} (certificate issued {issued})",
    "trust.every_purpose": "every purpose",
    "trust.reason.release": "release in force: {release} (this update {date})",
    "trust.reason.list_expired": "the release in force passed its next update ({date})",
    "trust.reason.issued_assumed": "no issue date given: a certificate issued at {date}",
    "trust.reason.no_disallowed_release": "no disallowed-certificate release was in force then",
    "trust.reason.disallowed": "listed in the disallowed-certificate list {release}",
    "trust.reason.not_disallowed": "not in the disallowed-certificate list {release}",
    "trust.reason.disallowed_unchecked": "the disallowed-certificate list {release} identifies keys by MD5: "
                                         "give the certificate to check it",
    "trust.reason.not_in_list": "not listed in {release}",
    "trust.reason.in_list": "listed in {release}",
    "trust.reason.all_purposes": "no EKU restriction: trusted for every purpose",
    "trust.reason.eku_allowed": "purpose allowed (EKUs: {ekus})",
    "trust.reason.eku_not_allowed": "purpose not allowed (EKUs: {ekus})",
    "trust.reason.eku_disallowed": "purpose disallowed (disallowed EKUs: {ekus})",
    "trust.reason.eku_disallowed_other_purposes": "disallowed only for {ekus}",
    "trust.reason.disabled": "disabled since {date} for {ekus}",
    "trust.reason.disabled_later": "to be disabled from {date} for {ekus}",
    "trust.reason.disabled_other_purposes": "disabled since {date} only for {ekus}",
    "trust.reason.not_before_applies": "NotBefore {date} for {ekus}: certificates issued on or after it "
                                       "are not trusted",
    "trust.reason.not_before_passed": "NotBefore {date} for {ekus}: the certificate was issued before it",
    "trust.reason.not_before_other_purposes": "NotBefore {date} only for {ekus}",
    "status.file": "{level}  {file} ({entries})",
    "status.age": "this update {this_update} ({age})",
    "status.no_next_update": "no next update (Microsoft's lists have none): freshness is its age",
    "status.in": "in {amount}",
    "status.ago": "{amount} ago",
    "status.days": ("{n} day", "{n} days"),
    "status.hours": ("{n} hour", "{n} hours"),
    "status.level.ok": "OK",
    "status.level.warning": "WARNING",
    "status.level.critical": "CRITICAL",
    "status.level.unknown": "UNKNOWN",
    "status.overall": "overall: {level}",
    "status.check.next_update": "next update {when} ({left})",
    "status.check.signer": "signer {subject} expires {when} ({left})",
    "status.check.chain": "chain certificate {subject} expires {when} ({left})",
    "status.check.signer.not_embedded": "signer certificate not embedded: its expiry is unknown",
    "status.check.signature.unsigned": "unsigned: no signer to expire",
    "status.check.sequence.increased": "sequence number above the previous release's",
    "status.check.sequence.same_content": "same release as the previous one",
    "status.check.sequence.same": "same sequence number as the previous release, other content",
    "status.check.sequence.decreased": "sequence number below the previous release's",
}

_ZH_HISTORY: dict[str, str | tuple[str, str]] = {
    "history.title": "{name} 的历史：{n} 个版本",
    "history.span": "{first} 至 {last}",
    "history.releases": "版本",
    "history.release_line": "{number}. {date}  {name}（序列号 {sequence}）：{what}",
    "history.commit": "提交 {commit}",
    "history.counts": "新增 {added} 个，删除 {removed} 个，更改 {changed} 个",
    "history.header_changed": "{n} 个标头字段已更改",
    "history.signer_changed": "签名者已更改",
    "history.problems": "版本顺序中的问题",
    "history.problem.duplicate": "{release} 与 {other} 是同一版本：只读取一次",
    "history.problem.same_sequence": "{release} 与 {other} 序列号相同但内容不同",
    "history.problem.backwards": "{release} 比 {other} 新，但序列号更小",
    "history.roots": "有变化的根证书（{total} 个中的 {shown} 个）",
    "history.roots_selected": "所查询的根证书（{total} 个中的 {shown} 个）",
    "history.unchanged": "{n} 个根证书在每个版本中都未更改。",
    "history.first_seen": "首次出现",
    "history.removed": "已从列表中删除",
    "history.returned": "重新列入",
    "history.last_seen": "最后出现",
    "history.last_seen_present": "最后出现（仍在最新版本中）",
    "history.no_date_always": "无日期（始终）",
    "set.reordered": "{what}：取值相同，顺序不同",
    "trust.trusted": "受信任：{root}，用途 {purpose}，时间 {at}（证书颁发于 {issued}）",
    "trust.not_trusted": "不受信任：{root}，用途 {purpose}，时间 {at}（证书颁发于 {issued}）",
    "trust.every_purpose": "所有用途",
    "trust.reason.release": "当时生效的版本：{release}（本次更新 {date}）",
    "trust.reason.list_expired": "当时生效的版本已过下次更新时间（{date}）",
    "trust.reason.issued_assumed": "未给出颁发日期：按 {date} 颁发的证书判断",
    "trust.reason.no_disallowed_release": "当时没有生效的不受信任证书列表",
    "trust.reason.disallowed": "列于不受信任证书列表 {release} 中",
    "trust.reason.not_disallowed": "不在不受信任证书列表 {release} 中",
    "trust.reason.disallowed_unchecked": "不受信任证书列表 {release} 以 MD5 标识密钥：需提供证书才能检查",
    "trust.reason.not_in_list": "未列于 {release} 中",
    "trust.reason.in_list": "列于 {release} 中",
    "trust.reason.all_purposes": "没有 EKU 限制：所有用途均受信任",
    "trust.reason.eku_allowed": "允许该用途（EKU：{ekus}）",
    "trust.reason.eku_not_allowed": "不允许该用途（EKU：{ekus}）",
    "trust.reason.eku_disallowed": "该用途被禁止（禁止的 EKU：{ekus}）",
    "trust.reason.eku_disallowed_other_purposes": "仅对 {ekus} 禁止",
    "trust.reason.disabled": "自 {date} 起对 {ekus} 禁用",
    "trust.reason.disabled_later": "将自 {date} 起对 {ekus} 禁用",
    "trust.reason.disabled_other_purposes": "自 {date} 起仅对 {ekus} 禁用",
    "trust.reason.not_before_applies": "NotBefore {date}（{ekus}）：在此日期当天或之后颁发的证书不受信任",
    "trust.reason.not_before_passed": "NotBefore {date}（{ekus}）：证书在此日期之前颁发",
    "trust.reason.not_before_other_purposes": "NotBefore {date} 仅适用于 {ekus}",
    "status.file": "{level}  {file}（{entries}）",
    "status.age": "本次更新 {this_update}（{age}）",
    "status.no_next_update": "没有下次更新时间（Microsoft 的列表都没有）：以时长判断新旧",
    "status.in": "{amount}后",
    "status.ago": "{amount}前",
    "status.days": "{n} 天",
    "status.hours": "{n} 小时",
    "status.level.ok": "正常",
    "status.level.warning": "警告",
    "status.level.critical": "严重",
    "status.level.unknown": "未知",
    "status.overall": "总体：{level}",
    "status.check.next_update": "下次更新 {when}（{left}）",
    "status.check.signer": "签名者 {subject} 到期 {when}（{left}）",
    "status.check.chain": "链证书 {subject} 到期 {when}（{left}）",
    "status.check.signer.not_embedded": "未嵌入签名者证书：到期时间未知",
    "status.check.signature.unsigned": "未签名：没有会到期的签名者",
    "status.check.sequence.increased": "序列号大于上一版本",
    "status.check.sequence.same_content": "与上一版本相同",
    "status.check.sequence.same": "序列号与上一版本相同，但内容不同",
    "status.check.sequence.decreased": "序列号小于上一版本",
}

_EN.update(_EN_HISTORY)
_ZH.update(_ZH_HISTORY)

#: How Windows' zh-CN certificate dialogs name the purposes.
_EKU_ZH = {
    "1.3.6.1.5.5.7.3.1": "服务器身份验证", "1.3.6.1.5.5.7.3.2": "客户端身份验证",
    "1.3.6.1.5.5.7.3.3": "代码签名", "1.3.6.1.5.5.7.3.4": "安全电子邮件",
    "1.3.6.1.5.5.7.3.5": "IP 安全端系统", "1.3.6.1.5.5.7.3.6": "IP 安全隧道终止",
    "1.3.6.1.5.5.7.3.7": "IP 安全用户", "1.3.6.1.5.5.7.3.8": "时间戳",
    "1.3.6.1.5.5.7.3.9": "OCSP 签名", "1.3.6.1.4.1.311.10.3.4": "加密文件系统",
    "1.3.6.1.4.1.311.10.3.12": "文档签名", "1.3.6.1.5.5.8.2.2": "IP 安全 IKE 中级",
}

_CATALOGUES = {"en": (_EN, EKU_DISPLAY), "zh-CN": (_ZH, _EKU_ZH)}


class Messages:
    """One language's messages: ``t(key, n=None, **values)``."""

    def __init__(self, lang: str):
        if lang not in _CATALOGUES:
            raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
        self.lang = lang
        self._table, self._ekus = _CATALOGUES[lang]

    def __call__(self, key: str, n: int | None = None, **values) -> str:
        text = self._table.get(key, _EN.get(key))
        if text is None:
            raise KeyError(f"no message {key!r}")
        if isinstance(text, tuple):
            text = text[0] if n == 1 else text[1]
        return text.format(n=n, **values) if (values or n is not None) else text

    def join(self, items) -> str:
        return self("list_sep").join(items)

    def date(self, iso_date: str, style: str = "long") -> str:
        """An ISO date (2011-08-29) as this language's advisories print it; text that is not
        an ISO date is given back as it is."""
        try:
            when = date.fromisoformat(iso_date)
        except (TypeError, ValueError):
            return iso_date
        return self(f"date.{style}", year=when.year, month=when.month, day=when.day,
                    month_name=_MONTHS[when.month - 1])

    def eku(self, oid: str) -> str:
        """A purpose as Windows names it, else its OID."""
        return self._ekus.get(oid) or EKU_DISPLAY.get(oid) or oid

    def policy(self, oid: str) -> str:
        """An EV policy OID; the one that marks EV as disabled says so."""
        return self("ev_policy_disabled", oid=oid) if oid == EV_DISABLED else oid


def messages(lang: str = "en") -> Messages:
    return Messages(lang)
