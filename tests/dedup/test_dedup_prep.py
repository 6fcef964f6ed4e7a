"""prepare(): messy fields in, exact canonical matching fields out."""

from __future__ import annotations

import pytest

from livereview.dedup import prepare
from livereview.dedup.prep import fold, parse_pages
from livereview.records.model import Record, Relation


def prep(**fields):
    return prepare(Record(source="test", **fields))


def test_title_is_folded_markup_entities_accents_and_punctuation_removed():
    p = prep(title="Les plates-formes num&eacute;riques et le <i>crowdworking</i>: l'Europe à l’épreuve?")
    assert p.title == "les plates formes numeriques et le crowdworking leurope a lepreuve"


def test_greek_letters_are_spelled_out_and_ligatures_split():
    assert fold("TNF-α and IL-1β in Æsop’s œdema") == "tnf alpha and il 1 beta in aesops oedema"


def test_roman_part_numbers_become_digits_and_numbers_are_collected():
    p = prep(title="Cervical screening, Part II: results of phase III trials in 2,016 women")
    assert p.title == "cervical screening part 2 results of phase 3 trials in 2 016 women"
    assert p.title_numbers == ("16", "2", "2", "3")
    assert p.title_contrast == ("women",)


@pytest.mark.parametrize(("title", "notice", "base"), [
    ("Erratum to: How do requirements evolve over time?", "correction", "how do requirements evolve over time"),
    ("Correction: Triage of women with minor cervical lesions", "correction",
     "triage of women with minor cervical lesions"),
    ("Corrigendum to “Study of things” [J Clin Virol 12 (2019) 3-4]", "correction", "study of things"),
    ("Retraction Note to: Some trial of eculizumab", "retraction", "some trial of eculizumab"),
    ("Notice of Retraction: Gig work in Kenya", "retraction", "gig work in kenya"),
    ("Expression of concern: Vitamin D and depression", "expression-of-concern", "vitamin d and depression"),
    ("Comment on: Eculizumab for atypical HUS", "comment", "eculizumab for atypical hus"),
    ("Authors' reply to the letter by Smith", "reply", "the letter by smith"),
    ("Atypical hemolytic uremic syndrome associated with group A streptococcus - Reply", "reply",
     "atypical hemolytic uremic syndrome associated with group a streptococcus"),
    ("Severe deficiency of ADAMTS 13 activity in children (vol 142, pg 310, 2003)", "correction",
     "severe deficiency of adamts 13 activity in children"),
    ("Eculizumab for atypical hemolytic-uremic syndrome (New England Journal of Medicine (2009) 360 (542-544))",
     "correction", "eculizumab for atypical hemolytic uremic syndrome"),
    ("Correction of hypokalaemia in children with diarrhoea", None,
     "correction of hypokalaemia in children with diarrhoea"),
    ("Response to rituximab in refractory lupus nephritis", None,
     "response to rituximab in refractory lupus nephritis"),
    ("Comments from the field: gig workers speak", None, "comments from the field gig workers speak"),
])
def test_notices_are_recognised_and_their_prefix_or_citation_removed(title, notice, base):
    p = prep(title=title)
    assert (p.notice, p.title) == (notice, base)


def test_retracted_prefix_marks_the_article_not_a_notice():
    p = prep(title="RETRACTED: Ileal-lymphoid-nodular hyperplasia in children")
    assert (p.notice, p.title) == (None, "ileal lymphoid nodular hyperplasia in children")


def test_erratum_publication_type_and_relation_make_a_notice():
    assert prep(title="A trial", publication_types=["Published Erratum"]).notice == "correction"
    rel = Relation(kind="erratum-for", id_type="doi", target="10.1/x")
    assert prep(title="A trial", relations=[rel]).notice == "correction"


def test_medline_notes_and_bracketed_tags_are_cut_from_titles():
    p = prep(title="Severe deficiency of ADAMTS 13 in children.[Erratum appears in J Pediatr. 2003 Jun;142(6):616]")
    assert p.title == "severe deficiency of adamts 13 in children"
    p = prep(title="Current aspects of hemolytic uremic syndrome in children. [Review] [16 refs] [Romanian]")
    assert p.title == "current aspects of hemolytic uremic syndrome in children"
    p = prep(title="[Current aspects of hemolytic uremic syndrome in children].")
    assert p.title == "current aspects of hemolytic uremic syndrome in children"


def test_authors_become_surname_initials_and_first_given_name():
    p = prep(authors=["Müller-Lüdenscheidt, Karl H.", "Meijer, C.J.L.M.", "van der Berg, J", "Zuna, RE",
                      "ALTS Group", "Group, ALTS", "Smith JA"])
    assert p.authors == (
        ("mullerludenscheidt", "kh", "karl"), ("meijer", "cjlm", ""), ("vanderberg", "j", ""),
        ("zuna", "re", ""), ("smith", "ja", ""),
    )


def test_venue_is_folded_without_stopwords_brackets_and_conference_tails():
    assert prep(journal="Infectious Agents & Cancer [Electronic Resource]").venue == ("infectious", "agents", "cancer")
    assert prep(journal="Scandinavian Journal of Immunology.Conference: 39th Meeting of the SSI").venue == (
        "scandinavian", "journal", "immunology")
    assert prep(journal="The Journal of Pediatrics").venue == ("journal", "pediatrics")
    assert prep(journal="International Conference on Service Systems and Service Management, Vols 1-3").venue == (
        "international", "conference", "service", "systems", "service", "management")


@pytest.mark.parametrize(("pages", "first", "last"), [
    ("123-9", "123", "129"), ("123-29", "123", "129"), ("123-129", "123", "129"), ("123--129", "123", "129"),
    ("e0123", "123", None), ("S12-S19", "12", "19"), ("1754", "1754", None), ("616-616", "616", None),
    ("xii-xiv", "xii", "xiv"), ("2297-2108", "2297", "2108"), (None, None, None), ("n/a", None, None),
])
def test_pages_give_first_and_expanded_last_page(pages, first, last):
    assert parse_pages(pages) == (first, last)


def test_locators_identifiers_and_year_are_canonical():
    p = prep(volume="Vol. 108 (Suppl 1)", issue="2-3", year=None, published_date="2011-05-02",
             doi="https://doi.org/10.1101/2019.12.23.887844V2", pmid="PMID: 0021544029")
    assert (p.volume, p.issue, p.year) == ("108", ("2", "3"), 2011)
    assert (p.doi, p.doi_base, p.pmid) == ("10.1101/2019.12.23.887844v2", "10.1101/2019.12.23.887844", "21544029")


def test_volume_equal_to_the_year_counts_as_missing():
    assert prep(volume="2017", year=2017).volume is None


def test_work_types_and_preprints_are_recognised():
    assert prep(publication_types=["Journal Article"]).venue_type == "journal"
    assert prep(publication_types=["Conference Paper"]).venue_type == "conference"
    assert prep(publication_types=["Book Chapter"]).venue_type == "book"
    assert prep(journal="Proceedings of the 17th Conference on CSCW").venue_type == "conference"
    assert prep(journal="medRxiv").is_preprint
    assert prep(doi="10.2139/ssrn.3266249").is_preprint
    assert prep(doi="10.1101/2021.07.08.21259776").is_preprint
    assert not prep(doi="10.1101/gr.123456.111").is_preprint  # Genome Research shares bioRxiv's prefix


def test_short_and_recurring_titles_are_not_informative():
    assert not prep(title="Editorial").informative
    assert not prep(title="Introduction to the Minitrack on Crowdsourcing and the Gig Economy").informative
    assert not prep(title="Remarks from MIS Quarterly editor: editor's comments").informative
    assert prep(title="Complement dysfunction in hemolytic uremic syndrome").informative


def test_short_abstracts_are_ignored_and_long_ones_cut():
    assert prep(abstract="No abstract available.").abstract == ""
    assert len(prep(abstract="word " * 400).abstract) == 400


@pytest.mark.parametrize(("title", "cites"), [
    ("Long-term effect of eculizumab on kidney function in PNH (vol 85, pg 553, 2010)", ("85", "553")),
    ("Eculizumab for atypical hemolytic-uremic syndrome (New England Journal of Medicine (2009) 360 (542-544))",
     ("360", "542")),
    ('Corrigendum to "Joint collaborative planning as a governance mechanism" [J. Strateg. Inf. Syst. 21(3) (2012)'
     ' 182-200]', ("21", "182")),
    ('Erratum to "Leveraging IT resources at the housing board" [J. Strateg. Inf. Syst. 12(2003) 229-249]',
     ("12", "229")),
    ("Erratum to: How do requirements evolve over time?", None),
    ("Comment on: Eculizumab for atypical HUS (vol 360, pg 542, 2009)", ("360", "542")),
])
def test_a_notice_keeps_the_volume_and_page_of_the_article_it_cites(title, cites):
    assert prep(title=title).cites == cites


def test_a_medline_erratum_note_gives_the_errata_locators_and_a_cut_note_gives_none():
    p = prep(title="Anti-factor H autoantibodies in a fifth renal transplant recipient.[Erratum appears in Am J "
                   "Transplant. 2009 Sep;9(9):2205 Note: Niauif, P [added]].[Erratum appears in Am J Transplant. "
                   "2009 Nov;9(11):2647]")
    assert p.errata_at == (("9", "2205"), ("9", "2647"))
    assert p.title == "anti factor h autoantibodies in a fifth renal transplant recipient"
    cut = prep(title="Severe deficiency of ADAMTS 13 in children.[Erratum appears in J Pediatr. 2003 Jun")
    assert cut.errata_at == () and cut.title == "severe deficiency of adamts 13 in children"


def test_appended_notes_need_their_bracket_so_a_title_saying_comments_in_stays_whole():
    p = prep(title="The Role of Feedback Text Comments in Online Marketplaces")
    assert p.title == "the role of feedback text comments in online marketplaces"
    assert prep(title="Editorial.[Erratum appears in Inf Syst J. 2008;18(6):612]").title == "editorial"


def test_letter_prefixed_page_numbers_are_article_numbers_but_supplement_pages_are_not():
    assert prep(pages="a1754").article_number and prep(pages="e0123456").article_number
    assert not prep(pages="S12").article_number and not prep(pages="1754").article_number
    assert not prep(pages="e12-e19").article_number


def test_a_preprint_by_its_repository_doi_alone_is_flagged_as_such():
    ssrn = prep(doi="10.2139/ssrn.3266249", journal="International Conference on Information Systems")
    assert ssrn.is_preprint and ssrn.preprint_by_doi_only
    medrxiv = prep(doi="10.1101/2021.07.08.21259776", journal="medRxiv")
    assert medrxiv.is_preprint and not medrxiv.preprint_by_doi_only


def test_thesis_publication_type_is_a_thesis():
    assert prep(publication_types=["Thesis"]).venue_type == "thesis"


@pytest.mark.parametrize("title", [
    "[Thrombotic microangiopathy after kidney transplantation]",
    "[Thrombotic microangiopathy after kidney transplantation].",
    "[Thrombotic microangiopathy after kidney transplantation] [Article in French]",
    "[Thrombotic microangiopathy after kidney transplantation]. Microangiopathie thrombotique apres greffe",
])
def test_a_bracketed_translated_title_prepares_as_the_plain_title(title):
    assert prep(title=title).title == prep(title="Thrombotic microangiopathy after kidney transplantation").title


def test_journal_suffixes_and_mojibake_leave_the_plain_journal_name():
    plain = prep(journal="Annales francaises d'anesthesie").venue
    assert prep(journal="Annales françaises d'anesthésie [Electronic Resource]").venue == plain
    assert prep(journal="Annales franÃ§aises d'anesthÃ©sie").venue == plain
    assert prep(journal="Annales fran?aises d'anesth?sie").venue == ("annales", "franaises", "anesthsie")
    assert prep(journal="Blood. Conference: 52nd Annual Meeting of the ASH. Orlando").venue == ("blood",)


def test_a_mojibake_title_folds_close_to_the_intact_one():
    assert prep(title="DÃ©pistage du cancer du col").title == prep(title="Dépistage du cancer du col").title
    assert prep(title="D?pistage du cancer du col").title == "dpistage du cancer du col"


@pytest.mark.parametrize("journal", ["Dissertation Abstracts International: Section B: The Sciences and Engineering",
                                     "Diss Abstr Int B Sci Eng", "Masters Abstracts International",
                                     "ProQuest Dissertations and Theses"])
def test_a_dissertation_abstracts_entry_is_a_thesis_without_a_venue_or_locator(journal):
    p = prep(journal=journal, volume="69", issue="5-B", pages="3286", publication_types=["Journal Article"])
    assert (p.venue_type, p.venue, p.volume, p.issue, p.first_page) == ("thesis", (), None, (), None)


@pytest.mark.parametrize(("journal", "pages", "commentary"), [
    ("ACP Journal Club", None, True), ("ACP J Club", "70", True), ("Evidence-Based Mental Health", None, True),
    ("Evid Based Nurs", None, True), ("Evidence-Based Medicine", None, True),
    ("Annals of Internal Medicine", "JC3-2", True),
    ("Evidence-Based Complementary and Alternative Medicine", None, False),
    ("BMJ Evidence-Based Medicine", None, False), ("New England Journal of Medicine", "1233-43", False),
])
def test_commentary_journals_are_recognised(journal, pages, commentary):
    assert prep(journal=journal, pages=pages).commentary is commentary


@pytest.mark.parametrize(("pages", "expected"), [
    ("12-Sep", ("12", "19")),   # a spreadsheet read "12-9" as 12 September
    ("01-Jun", ("1", "6")),
    ("Sep-45", ("9", "45")),    # and "9-45" as September 1945
    ("12-19", ("12", "19")),
])
def test_page_ranges_a_spreadsheet_turned_into_dates_read_back_as_pages(pages, expected):
    p = prep(pages=pages)
    assert (p.first_page, p.last_page) == expected


@pytest.mark.parametrize(("volume", "expected"), [
    ("59", "59"), ("Vol. 59", "59"), ("59 SUPPL. 1", "59"), ("59 (1)", "59"), ("12A", "12"),
    ("Drug Discovery. 9", "9"), ("1)", None), ("59 (1) 1999 12-19", None),
])
def test_a_volume_counts_only_when_it_looks_like_a_volume(volume, expected):
    assert prep(volume=volume).volume == expected


@pytest.mark.parametrize("doi", [
    "10.1037//0022-006X.59.1.12", "https://doi.org/10.1037/0022-006x.59.1.12",
    "http://dx.doi.org/10.1037/0022-006X.59.1.12", "10.1037%2F0022-006X.59.1.12", "doi:10.1037/0022-006X.59.1.12",
])
def test_every_doi_spelling_including_apas_doubled_slash_prepares_to_one_doi(doi):
    assert prep(doi=doi).doi == "10.1037/0022-006x.59.1.12"


def test_a_romanised_journal_name_gets_the_english_name_from_the_variants_table_as_an_alternative():
    romanised = prep(journal="Zhonghua yi xue za zhi")
    parallel = prep(journal="Zhonghua yi xue za zhi = National medical journal of China")
    assert ("national", "medical", "journal", "china") in romanised.venue_alts
    assert ("national", "medical", "journal", "china") in parallel.venue_alts
    assert prep(journal="Journal of Clinical Psychology").venue_alts == ()


def test_an_abbreviation_of_a_table_variant_gets_its_english_name():
    assert ("brazilian", "journal", "psychiatry") in prep(journal="Rev Bras Psiquiatr").venue_alts
    assert prep(journal="J Clin Psychol").venue_alts == ()
