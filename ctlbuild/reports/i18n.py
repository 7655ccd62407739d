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
