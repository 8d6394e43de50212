"""One registry of the references nqpf cites (参考文献): key → authors, year, title, venue, volume, pages, DOI.

Used by :mod:`nqpf.methods_appendix` (the per-run methods section) and :mod:`nqpf.cite` (``nqpf cite``).
A DOI is given only where it was checked; otherwise the field is empty rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["REFERENCES", "Reference", "cite", "format_reference", "get", "to_bibtex"]


@dataclass(frozen=True)
class Reference:
    """A bibliographic record.

    ``kind`` is the BibTeX entry type (``article``, ``book``, ``incollection``, ``manual``, ``misc``);
    ``venue`` is the journal (articles), the publisher (books) or the series. ``authors`` are written
    "Family, Given" (Chinese names: "王淑佳" with ``authors_en`` giving the pinyin form).
    """

    key: str
    kind: str
    authors: tuple[str, ...]
    year: int
    title: str
    venue: str
    volume: str = ""
    number: str = ""
    pages: str = ""
    doi: str = ""
    publisher: str = ""
    address: str = ""
    url: str = ""
    note: str = ""
    authors_en: tuple[str, ...] = field(default_factory=tuple)
    title_en: str = ""
    venue_en: str = ""
    corporate: bool = False
    label: str = ""

    @property
    def family_names(self) -> list[str]:
        names = self.authors_en or self.authors
        if self.corporate:
            return list(names)
        return [a.split(",")[0].strip() for a in names]

    def who(self, lang: str = "en") -> str:
        """The author part of a citation: "Dagum", "Hwang & Yoon", "Wang et al." (Chinese works in zh: "王淑佳等")."""
        if self.label:
            return self.label
        if lang == "zh" and self.authors_en and self.authors:
            fam = [a.split(",")[0].strip() for a in self.authors]
            return f"{fam[0]}等" if len(fam) > 2 else "、".join(fam)
        fam = self.family_names
        if len(fam) == 1:
            return fam[0]
        if len(fam) == 2:
            return f"{fam[0]} & {fam[1]}"
        return f"{fam[0]} et al."

    def short(self, lang: str = "en") -> str:
        """Narrative author–year label: "Dagum (1997)", "Hwang & Yoon (1981)", "Wang et al. (2021)"."""
        return f"{self.who(lang)} ({self.year})"

    def parenthetical(self, lang: str = "en") -> str:
        """Author–year inside parentheses: "Dagum, 1997"."""
        return f"{self.who(lang)}, {self.year}"


def _r(key: str, kind: str, authors: tuple[str, ...], year: int, title: str, venue: str, **kw: str) -> Reference:
    return Reference(key=key, kind=kind, authors=authors, year=year, title=title, venue=venue, **kw)  # type: ignore[arg-type]


_ALL = [
    # ---------------------------------------------------------------- normalisation, weighting, aggregation
    _r("hwang1981", "book", ("Hwang, Ching-Lai", "Yoon, Kwangsun"), 1981,
       "Multiple Attribute Decision Making: Methods and Applications",
       "Lecture Notes in Economics and Mathematical Systems", volume="186", publisher="Springer",
       address="Berlin, Heidelberg", doi="10.1007/978-3-642-48318-9"),
    _r("guo2007", "book", ("郭亚军",), 2007, "综合评价理论、方法及应用", "科学出版社", publisher="科学出版社",
       address="北京", authors_en=("Guo, Yajun",),
       title_en="Comprehensive Evaluation: Theory, Methods and Applications", venue_en="Science Press"),
    _r("jain2005", "article", ("Jain, Anil", "Nandakumar, Karthik", "Ross, Arun"), 2005,
       "Score normalization in multimodal biometric systems", "Pattern Recognition", volume="38",
       number="12", pages="2270--2285"),
    _r("oecd2008", "book", ("OECD", "European Commission, Joint Research Centre"), 2008,
       "Handbook on Constructing Composite Indicators: Methodology and User Guide", "OECD Publishing",
       publisher="OECD Publishing", address="Paris", doi="10.1787/9789264043466-en", corporate=True,
       label="OECD & JRC"),
    _r("shannon1948", "article", ("Shannon, Claude E.",), 1948, "A mathematical theory of communication",
       "Bell System Technical Journal", volume="27", number="3", pages="379--423",
       doi="10.1002/j.1538-7305.1948.tb01338.x"),
    _r("zeleny1982", "book", ("Zeleny, Milan",), 1982, "Multiple Criteria Decision Making", "McGraw-Hill",
       publisher="McGraw-Hill", address="New York"),
    _r("diakoulaki1995", "article", ("Diakoulaki, Danae", "Mavrotas, George", "Papayannakis, Lefteris"), 1995,
       "Determining objective weights in multiple criteria problems: The CRITIC method",
       "Computers & Operations Research", volume="22", number="7", pages="763--770",
       doi="10.1016/0305-0548(94)00059-H"),
    _r("wang2010", "article", ("Wang, Ying-Ming", "Luo, Ying"), 2010,
       "Integration of correlations with standard deviations for determining attribute weights in multiple "
       "attribute decision making", "Mathematical and Computer Modelling", volume="51", number="1--2",
       pages="1--12"),
    _r("dawes1979", "article", ("Dawes, Robyn M.",), 1979,
       "The robust beauty of improper linear models in decision making", "American Psychologist",
       volume="34", number="7", pages="571--582", doi="10.1037/0003-066X.34.7.571"),
    _r("saaty1977", "article", ("Saaty, Thomas L.",), 1977, "A scaling method for priorities in hierarchical "
       "structures", "Journal of Mathematical Psychology", volume="15", number="3", pages="234--281",
       doi="10.1016/0022-2496(77)90033-5"),
    _r("saaty1980", "book", ("Saaty, Thomas L.",), 1980, "The Analytic Hierarchy Process", "McGraw-Hill",
       publisher="McGraw-Hill", address="New York"),
    _r("saaty1990", "article", ("Saaty, Thomas L.",), 1990,
       "How to make a decision: The analytic hierarchy process", "European Journal of Operational Research",
       volume="48", number="1", pages="9--26", doi="10.1016/0377-2217(90)90057-I"),
    _r("lai2015", "article", ("Lai, Chengguang", "Chen, Xiaohong", "Chen, Xiaoyu", "Wang, Zhaoli", "Wu, Xushu",
                             "Zhao, Shiwei"), 2015,
       "A fuzzy comprehensive evaluation model for flood risk based on the combination weight of game theory",
       "Natural Hazards", volume="77", number="2", pages="1243--1259"),
    _r("fishburn1967", "article", ("Fishburn, Peter C.",), 1967,
       "Additive utilities with incomplete product sets: Application to priorities and assignments",
       "Operations Research", volume="15", number="3", pages="537--542", doi="10.1287/opre.15.3.537"),
    _r("deng1982", "article", ("Deng, Julong",), 1982, "Control problems of grey systems",
       "Systems & Control Letters", volume="1", number="5", pages="288--294",
       doi="10.1016/S0167-6911(82)80025-X"),
    _r("deng1989", "article", ("Deng, Julong",), 1989, "Introduction to grey system theory",
       "The Journal of Grey System", volume="1", number="1", pages="1--24"),
    # ---------------------------------------------------------------- analyses
    _r("dagum1997", "article", ("Dagum, Camilo",), 1997,
       "A new approach to the decomposition of the Gini income inequality ratio", "Empirical Economics",
       volume="22", number="4", pages="515--531", doi="10.1007/BF01205777"),
    _r("rosenblatt1956", "article", ("Rosenblatt, Murray",), 1956,
       "Remarks on some nonparametric estimates of a density function", "Annals of Mathematical Statistics",
       volume="27", number="3", pages="832--837", doi="10.1214/aoms/1177728190"),
    _r("parzen1962", "article", ("Parzen, Emanuel",), 1962, "On estimation of a probability density function "
       "and mode", "Annals of Mathematical Statistics", volume="33", number="3", pages="1065--1076",
       doi="10.1214/aoms/1177704472"),
    _r("scott1992", "book", ("Scott, David W.",), 1992,
       "Multivariate Density Estimation: Theory, Practice, and Visualization", "Wiley", publisher="Wiley",
       address="New York"),
    _r("quah1993", "article", ("Quah, Danny",), 1993, "Empirical cross-section dynamics in economic growth",
       "European Economic Review", volume="37", number="2--3", pages="426--434"),
    _r("rey2001", "article", ("Rey, Sergio J.",), 2001, "Spatial empirics for economic growth and convergence",
       "Geographical Analysis", volume="33", number="3", pages="195--214"),
    _r("bickenbach2003", "article", ("Bickenbach, Frank", "Bode, Eckhardt"), 2003,
       "Evaluating the Markov property in studies of economic convergence",
       "International Regional Science Review", volume="26", number="3", pages="363--392"),
    _r("moran1950", "article", ("Moran, Patrick A. P.",), 1950, "Notes on continuous stochastic phenomena",
       "Biometrika", volume="37", number="1/2", pages="17--23", doi="10.2307/2332142"),
    _r("cliff1981", "book", ("Cliff, Andrew D.", "Ord, J. Keith"), 1981,
       "Spatial Processes: Models and Applications", "Pion", publisher="Pion", address="London"),
    _r("anselin1995", "article", ("Anselin, Luc",), 1995, "Local indicators of spatial association---LISA",
       "Geographical Analysis", volume="27", number="2", pages="93--115",
       doi="10.1111/j.1538-4632.1995.tb00338.x"),
    _r("rey2007", "article", ("Rey, Sergio J.", "Anselin, Luc"), 2007,
       "PySAL: A Python library of spatial analytical methods", "The Review of Regional Studies",
       volume="37", number="1", pages="5--27"),
    _r("barro1992", "article", ("Barro, Robert J.", "Sala-i-Martin, Xavier"), 1992, "Convergence",
       "Journal of Political Economy", volume="100", number="2", pages="223--251", doi="10.1086/261816"),
    _r("liao1999", "article", ("廖重斌",), 1999,
       "环境与经济协调发展的定量评判及其分类体系——以珠江三角洲城市群为例", "热带地理", volume="19",
       number="2", pages="171--177", authors_en=("Liao, Chongbin",),
       title_en="Quantitative judgement and classification system for coordinated development of "
                "environment and economy: A case study of the city group in the Pearl River Delta",
       venue_en="Tropical Geography"),
    _r("wang2021", "article", ("王淑佳", "孔伟", "任亮", "治丹丹", "戴彬婷"), 2021, "国内耦合协调度模型的误区及修正",
       "自然资源学报", volume="36", number="3", pages="793--810", doi="10.31497/zrzyxb.20210319",
       authors_en=("Wang, Shujia", "Kong, Wei", "Ren, Liang", "Zhi, Dandan", "Dai, Binting"),
       title_en="Research on misuses and modification of coupling coordination degree model in China",
       venue_en="Journal of Natural Resources"),
    _r("wang2023", "article", ("Wang, Xiaojie", "Han, Rongqing", "Zhao, Minghua"), 2023,
       "Evaluation and impact mechanism of high-quality development in China's coastal provinces",
       "International Journal of Environmental Research and Public Health", volume="20", number="2",
       pages="1336", doi="10.3390/ijerph20021336"),
    _r("cameron2015", "article", ("Cameron, A. Colin", "Miller, Douglas L."), 2015,
       "A practitioner's guide to cluster-robust inference", "Journal of Human Resources", volume="50",
       number="2", pages="317--372", doi="10.3368/jhr.50.2.317"),
    _r("spearman1904", "article", ("Spearman, Charles",), 1904,
       "The proof and measurement of association between two things", "American Journal of Psychology",
       volume="15", number="1", pages="72--101", doi="10.2307/1412159"),
    _r("kendall1938", "article", ("Kendall, Maurice G.",), 1938, "A new measure of rank correlation",
       "Biometrika", volume="30", number="1/2", pages="81--93", doi="10.2307/2332226"),
    _r("saisana2005", "article", ("Saisana, Michaela", "Saltelli, Andrea", "Tarantola, Stefano"), 2005,
       "Uncertainty and sensitivity analysis techniques as tools for the quality assessment of composite "
       "indicators", "Journal of the Royal Statistical Society: Series A (Statistics in Society)", volume="168",
       number="2", pages="307--323", doi="10.1111/j.1467-985X.2005.00350.x"),
    _r("efron1979", "article", ("Efron, Bradley",), 1979, "Bootstrap methods: Another look at the jackknife",
       "The Annals of Statistics", volume="7", number="1", pages="1--26", doi="10.1214/aos/1176344552"),
    # ---------------------------------------------------------------- mechanisms and heterogeneity (models)
    _r("baron1986", "article", ("Baron, Reuben M.", "Kenny, David A."), 1986,
       "The moderator-mediator variable distinction in social psychological research: Conceptual, strategic, "
       "and statistical considerations", "Journal of Personality and Social Psychology", volume="51",
       number="6", pages="1173--1182", doi="10.1037/0022-3514.51.6.1173"),
    _r("sobel1982", "article", ("Sobel, Michael E.",), 1982,
       "Asymptotic confidence intervals for indirect effects in structural equation models",
       "Sociological Methodology", volume="13", pages="290--312", doi="10.2307/270723"),
    _r("preacher2008", "article", ("Preacher, Kristopher J.", "Hayes, Andrew F."), 2008,
       "Asymptotic and resampling strategies for assessing and comparing indirect effects in multiple mediator "
       "models", "Behavior Research Methods", volume="40", number="3", pages="879--891",
       doi="10.3758/BRM.40.3.879"),
    _r("zhao2010", "article", ("Zhao, Xinshu", "Lynch, John G., Jr.", "Chen, Qimei"), 2010,
       "Reconsidering Baron and Kenny: Myths and truths about mediation analysis", "Journal of Consumer Research",
       volume="37", number="2", pages="197--206", doi="10.1086/651257"),
    _r("jiang2022", "article", ("江艇",), 2022, "因果推断经验研究中的中介效应与调节效应", "中国工业经济",
       number="5", pages="100--120", authors_en=("Jiang, Ting",),
       title_en="Mediating effects and moderating effects in causal inference", venue_en="China Industrial Economics"),
    _r("aiken1991", "book", ("Aiken, Leona S.", "West, Stephen G."), 1991,
       "Multiple Regression: Testing and Interpreting Interactions", "Sage", publisher="Sage",
       address="Newbury Park, CA"),
    _r("efron1987", "article", ("Efron, Bradley",), 1987, "Better bootstrap confidence intervals",
       "Journal of the American Statistical Association", volume="82", number="397", pages="171--185",
       doi="10.1080/01621459.1987.10478410"),
    _r("efron1993", "book", ("Efron, Bradley", "Tibshirani, Robert J."), 1993, "An Introduction to the Bootstrap",
       "Chapman & Hall", publisher="Chapman & Hall", address="New York", doi="10.1007/978-1-4899-4541-9"),
    _r("fisher1935", "book", ("Fisher, Ronald A.",), 1935, "The Design of Experiments", "Oliver and Boyd",
       publisher="Oliver and Boyd", address="Edinburgh"),
    # ---------------------------------------------------------------- policy evaluation (DID)
    _r("sun2021", "article", ("Sun, Liyang", "Abraham, Sarah"), 2021,
       "Estimating dynamic treatment effects in event studies with heterogeneous treatment effects",
       "Journal of Econometrics", volume="225", number="2", pages="175--199",
       doi="10.1016/j.jeconom.2020.09.006"),
    _r("callaway2021", "article", ("Callaway, Brantly", "Sant'Anna, Pedro H. C."), 2021,
       "Difference-in-differences with multiple time periods", "Journal of Econometrics", volume="225",
       number="2", pages="200--230", doi="10.1016/j.jeconom.2020.12.001"),
    _r("goodmanbacon2021", "article", ("Goodman-Bacon, Andrew",), 2021,
       "Difference-in-differences with variation in treatment timing", "Journal of Econometrics", volume="225",
       number="2", pages="254--277", doi="10.1016/j.jeconom.2021.03.014"),
    _r("dechaisemartin2020", "article", ("de Chaisemartin, Clément", "D'Haultfœuille, Xavier"), 2020,
       "Two-way fixed effects estimators with heterogeneous treatment effects", "American Economic Review",
       volume="110", number="9", pages="2964--2996", doi="10.1257/aer.20181169"),
    _r("gardner2022", "misc", ("Gardner, John",), 2022, "Two-stage differences in differences",
       "arXiv preprint arXiv:2207.05943", url="https://arxiv.org/abs/2207.05943"),
    _r("pyfixest", "manual", ("The PyFixest Authors",), 2025,
       "pyfixest: Fast high-dimensional fixed effect estimation in Python", "Python package",
       url="https://github.com/py-econometrics/pyfixest", corporate=True),
    _r("guo2020", "article", ("郭峰", "王靖一", "王芳", "孔涛", "张勋", "程志云"), 2020,
       "测度中国数字普惠金融发展：指数编制与空间特征", "经济学（季刊）", volume="19", number="4",
       pages="1401--1418", authors_en=("Guo, Feng", "Wang, Jingyi", "Wang, Fang", "Kong, Tao", "Zhang, Xun",
                                       "Cheng, Zhiyun"),
       title_en="Measuring China's digital financial inclusion: Index compilation and spatial characteristics",
       venue_en="China Economic Quarterly"),
    # ---------------------------------------------------------------- models: thresholds, instruments
    _r("hansen1999", "article", ("Hansen, Bruce E.",), 1999,
       "Threshold effects in non-dynamic panels: Estimation, testing, and inference", "Journal of Econometrics",
       volume="93", number="2", pages="345--368"),
    _r("hansen2000", "article", ("Hansen, Bruce E.",), 2000, "Sample splitting and threshold estimation",
       "Econometrica", volume="68", number="3", pages="575--603", doi="10.1111/1468-0262.00124"),
    _r("bai1997", "article", ("Bai, Jushan",), 1997, "Estimating multiple breaks one at a time",
       "Econometric Theory", volume="13", number="3", pages="315--352"),
    _r("wang2015", "article", ("Wang, Qunyong",), 2015, "Fixed-effect panel threshold model using Stata",
       "The Stata Journal", volume="15", number="1", pages="121--134"),
    _r("stock2005", "incollection", ("Stock, James H.", "Yogo, Motohiro"), 2005,
       "Testing for weak instruments in linear IV regression",
       "In D. W. K. Andrews & J. H. Stock (Eds.), Identification and Inference for Econometric Models: Essays in "
       "Honor of Thomas Rothenberg (pp. 80–108). Cambridge University Press", pages="80--108",
       publisher="Cambridge University Press", address="Cambridge"),
    _r("cragg1993", "article", ("Cragg, John G.", "Donald, Stephen G."), 1993,
       "Testing identifiability and specification in instrumental variable models", "Econometric Theory",
       volume="9", number="2", pages="222--240"),
    _r("kleibergen2006", "article", ("Kleibergen, Frank", "Paap, Richard"), 2006,
       "Generalized reduced rank tests using the singular value decomposition", "Journal of Econometrics",
       volume="133", number="1", pages="97--126"),
    # ---------------------------------------------------------------- spatial econometrics
    _r("elhorst2003", "article", ("Elhorst, J. Paul",), 2003, "Specification and estimation of spatial panel data "
       "models", "International Regional Science Review", volume="26", number="3", pages="244--268",
       doi="10.1177/0160017603253791"),
    _r("elhorst2014", "book", ("Elhorst, J. Paul",), 2014,
       "Spatial Econometrics: From Cross-Sectional Data to Spatial Panels", "Springer", publisher="Springer",
       address="Berlin, Heidelberg", note="SpringerBriefs in Regional Science", doi="10.1007/978-3-642-40340-8"),
    _r("leeyu2010", "article", ("Lee, Lung-fei", "Yu, Jihai"), 2010,
       "Estimation of spatial autoregressive panel data models with fixed effects", "Journal of Econometrics",
       volume="154", number="2", pages="165--185", doi="10.1016/j.jeconom.2009.08.001"),
    _r("lesage2009", "book", ("LeSage, James", "Pace, R. Kelley"), 2009, "Introduction to Spatial Econometrics",
       "CRC Press", publisher="Chapman & Hall/CRC", address="Boca Raton, FL", doi="10.1201/9781420064254"),
    _r("anselin1996", "article", ("Anselin, Luc", "Bera, Anil K.", "Florax, Raymond", "Yoon, Mann J."), 1996,
       "Simple diagnostic tests for spatial dependence", "Regional Science and Urban Economics", volume="26",
       number="1", pages="77--104", doi="10.1016/0166-0462(95)02111-6"),
    _r("debarsy2010", "article", ("Debarsy, Nicolas", "Ertur, Cem"), 2010,
       "Testing for spatial autocorrelation in a fixed effects panel data model",
       "Regional Science and Urban Economics", volume="40", number="6", pages="453--470"),
    # ---------------------------------------------------------------- frameworks (indicator systems)
    _r("song2024", "article", ("宋佳", "张金昌", "潘艺"), 2024,
       "ESG发展对企业新质生产力影响的研究——来自中国A股上市企业的经验证据", "当代经济管理", volume="46",
       number="6", pages="1--11", authors_en=("Song, Jia", "Zhang, Jinchang", "Pan, Yi"),
       title_en="The impact of ESG development on new quality productive forces of enterprises: evidence from "
                "Chinese A-share listed companies",
       venue_en="Contemporary Economic Management",
       note="the firm-level framework nqpf-firm (labour force and tools of production, 11 ratios, yearly entropy)"),
    # ---------------------------------------------------------------- software
    _r("nqpf", "manual", ("nqpf developers",), 2026,
       "nqpf: measuring and analysing new quality productive forces and high-quality development",
       "Python package", corporate=True),
]

#: Every reference by key.
REFERENCES: dict[str, Reference] = {r.key: r for r in _ALL}


def get(key: str) -> Reference:
    """The reference with this key (KeyError names the known keys)."""
    try:
        return REFERENCES[key]
    except KeyError:
        raise KeyError(f"unknown reference key {key!r}; known: {sorted(REFERENCES)}") from None


def _authors_text(names: tuple[str, ...], corporate: bool = False) -> str:
    out = []
    for a in names:
        if "," in a and not corporate:
            fam, given = (s.strip() for s in a.split(",", 1))
            initials = " ".join(f"{p[0]}." for p in re.split(r"[\s]+", given) if p and p[0].isalpha())
            out.append(f"{fam}, {initials}" if initials else fam)
        else:
            out.append(a)
    if len(out) == 1:
        return out[0]
    if corporate:
        return " & ".join(out)
    return ", ".join(out[:-1]) + ", & " + out[-1]


def format_reference(ref: Reference | str, lang: str = "en") -> str:
    """One reference as text (author–year style), in English or, for Chinese works, in Chinese.

    English: ``Dagum, C. (1997). A new approach … Empirical Economics, 22(4), 515–531. doi:…``.
    Chinese works in ``lang="zh"`` keep their Chinese authors, title and journal.
    """
    r = get(ref) if isinstance(ref, str) else ref
    chinese = bool(r.authors_en)
    if chinese and lang == "zh":
        who = ", ".join(r.authors)
        title, venue = r.title, r.venue
    elif chinese:
        who = _authors_text(r.authors_en)
        title = f"{r.title_en} [{r.title}]" if r.title_en else r.title
        venue = r.venue_en or r.venue
    else:
        who = _authors_text(r.authors, r.corporate)
        title, venue = r.title, r.venue
    pages = r.pages.replace("--", "–")
    if r.kind == "article":
        loc = venue
        if r.volume:
            loc += f", {r.volume}"
            if r.number:
                loc += f"({r.number.replace('--', '–')})"
        elif r.number:  # journals numbered by issue only (many Chinese journals): "(5)"
            loc += f", ({r.number.replace('--', '–')})"
        if pages:
            loc += f", {pages}"
        text = f"{who} ({r.year}). {title}. {loc}."
    elif r.kind == "book":
        series = f" ({r.venue}, {r.volume})" if r.volume else ""
        pub = r.publisher or r.venue
        if chinese and lang != "zh":
            pub = r.venue_en or pub
        place = f"{r.address}: " if r.address and not (chinese and lang != "zh") else ""
        text = f"{who} ({r.year}). {title}{series}. {place}{pub}."
    else:
        text = f"{who} ({r.year}). {title}. {venue}."
        if r.url:
            text += f" {r.url}"
    if r.doi:
        text += f" https://doi.org/{r.doi}"
    return text


_BIB_ESCAPE = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"}


def _bib(value: str) -> str:
    return "".join(_BIB_ESCAPE.get(ch, ch) for ch in value)


def to_bibtex(ref: Reference | str, *, version: str | None = None) -> str:
    """One BibTeX entry (``version`` fills the note of a software entry)."""
    r = get(ref) if isinstance(ref, str) else ref
    names = [("{" + a + "}") if r.corporate else a for a in r.authors]
    fields: list[tuple[str, str]] = [("author", " and ".join(names)), ("year", str(r.year))]
    fields.append(("title", "{" + r.title + "}" if r.kind != "article" else r.title))
    if r.kind == "article":
        fields.append(("journal", r.venue))
        for name, val in (("volume", r.volume), ("number", r.number), ("pages", r.pages)):
            if val:
                fields.append((name, val))
    elif r.kind == "book":
        if r.volume:
            fields += [("series", r.venue), ("volume", r.volume)]
        fields.append(("publisher", r.publisher or r.venue))
        if r.address:
            fields.append(("address", r.address))
    else:
        fields.append(("note", r.venue + (f", version {version}" if version else "")))
        if r.url:
            fields.append(("url", r.url))
    if r.doi:
        fields.append(("doi", r.doi))
    if r.authors_en:
        fields.append(("language", "chinese"))
        if r.title_en:
            fields.append(("title_en", r.title_en))
    body = ",\n".join(f"  {name} = {{{_bib(val) if name not in ('url', 'doi') else val}}}" for name, val in fields)
    return f"@{r.kind}{{{r.key},\n{body}\n}}"


def cite(keys: Iterable[str], lang: str) -> str:
    """An in-text citation of references by key: " (Dagum, 1997; Rey, 2001)" or "（Dagum, 1997；…）" (zh).

    Examples
    --------
    >>> cite(["dagum1997"], "en")
    ' (Dagum, 1997)'
    """
    refs = [get(k).parenthetical(lang) for k in keys]
    if not refs:
        return ""
    return ("（" + "；".join(refs) + "）") if lang == "zh" else " (" + "; ".join(refs) + ")"
