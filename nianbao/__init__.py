"""nianbao: 政府信息公开工作年度报告 → validated open data and a static site."""

__version__ = "0.1.0"
# Bumped whenever extraction output may change, so cached extractions are redone.
PARSER_VERSION = "1"
