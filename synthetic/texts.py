"""Free-text material of the synthetic example study, in Dutch.

Answers to the open question (``wensen``), the sentences that carry planted personal data,
the raw ingredients of that personal data, junk text of test rows, and the coded paraphrases
of the group interviews. ``synthetic.scenario`` holds the numbers; this module the words.
"""

# --------------------------------------------------------------------------- free text (Dutch)
WENSEN_EMPLOYERS = [
    "Minder papierwerk graag, de formulieren voor de subsidie kosten veel tijd.",
    "De administratie rond loonkostensubsidie moet eenvoudiger.",
    "Meer financiële ondersteuning in de eerste maanden zou helpen.",
    "Kandidaten beter selecteren op wat wij als bedrijf nodig hebben.",
    "Graag een vaste contactpersoon houden, dat werkt prettig.",
    "Meer begeleiding op de werkvloer in de eerste weken.",
    "Sneller reageren als wij een vacature doorgeven.",
    "Het prettig gesprek was erg nuttig; vaker organiseren.",
    "Betere afstemming met het UWV; nu twee loketten.",
    "Houd de aanpak persoonlijk, geen extra regels.",
    "Proefplaatsing van een paar weken zonder verplichtingen.",
    "Duidelijkheid over wie de kosten draagt bij uitval.",
]
WENSEN_JOBSEEKERS = [
    "Meer maatwerk: kijk naar wat ik kan en wil.",
    "Vaker contact met mijn klantmanager, nu hoor ik weken niets.",
    "Hulp bij het schrijven van een cv en sollicitatiebrief.",
    "Een opleiding of cursus betalen zodat ik meer kansen heb.",
    "Niet alleen controleren maar echt helpen zoeken.",
    "Kinderopvang regelen zodat ik kan werken.",
    "Meer banen in de buurt aanbieden, reizen is duur.",
    "Rekening houden met mijn rugklachten bij het zoeken.",
    "Een werkervaringsplek die echt tot een baan leidt.",
    "Persoonlijke begeleiding in plaats van groepsbijeenkomsten.",
    "Sneller reageren op mijn vragen en mails.",
    "Meer ondernemers laten kennismaken met werkzoekenden, zoals bij het prettig gesprek.",
    "Hulp met de taal; mijn Nederlands is nog niet goed genoeg.",
    "Eén vaste contactpersoon in plaats van steeds een ander.",
    "Ik zou graag in een café of crèche werken, help me daarmee.",
    "Meer begrip voor mijn situatie; ik ben geen nummer maar een mens met ideeën.",
]
# Free text with punctuation that stresses CSV writers (semicolons, quotes, line breaks).
WENSEN_AWKWARD = [
    'Ik wil "echt" werk; geen stages meer.',
    "Punt 1: meer contact;\npunt 2: meer maatwerk.",
    'De gemeente zegt "afwachten"; dat duurt al jaren.',
    "Betere hulp bij sollicitaties.\nEn minder regels.",
]
PII_TEMPLATES = {
    "bsn": ["Mijn BSN is {} voor als u het wilt nakijken.", "BSN {} (staat ook op mijn pas)"],
    "email": ["Mail mij gerust op {}", "U kunt mij bereiken via {} graag"],
    "phone": ["Bel mij op {} als er werk is.", "Mijn nummer is {}, liefst 's ochtends."],
    "iban": ["Reiskosten graag op rekening {} storten.", "Mijn rekening is {}"],
    "postcode": ["Ik woon op {}, kom gerust langs.", "Adres: {} (achterom)"],
}
PII_KINDS = ["bsn", "email", "phone", "iban", "postcode"]
FIRST_NAMES = ["jan", "petra", "mohamed", "fatima", "kees", "anouk", "ahmet", "sanne", "bram"]
LAST_NAMES = ["devries", "jansen", "bakker", "elamrani", "visser", "yilmaz", "smit", "mulder"]
EMAIL_DOMAINS = ["hotmail.com", "gmail.com", "ziggo.nl", "kpnmail.nl", "live.nl"]
BANK_CODES = ["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO"]
PHONE_AREA = ["020", "035", "075", "010", "0314", "024"]

EMPLOYER_TEST_TEXT = ["test", "asdfasdf"]
JOBSEEKER_TEST_TEXT = ["testrij, niet meenemen", "xxx", "dit is een test"]

# --------------------------------------------------------------------------- interviews
# Codes per theme label code (1..4), split by whether the unit did well. Each entry is
# (code, paraphrase). Units attaining the targets draw from "hoog", the others from "laag".
INTERVIEW_CODES = {
    1: {
        "hoog": [
            (
                "meerwaarde_werkgeversrelatie",
                "Door Werktop kennen we nu veel meer lokale "
                "ondernemers persoonlijk; dat netwerk blijft na het project.",
            ),
            (
                "meerwaarde_een_aanspreekpunt",
                "Ondernemers waarderen dat er één vast "
                "aanspreekpunt is voor zowel de vacature als de kandidaat.",
            ),
            (
                "meerwaarde_vraaggericht",
                "We beginnen nu bij de vraag van de werkgever in "
                "plaats van bij het bestand; dat levert betere matches op.",
            ),
        ],
        "laag": [
            (
                "meerwaarde_onduidelijk",
                "Het verschil met de bestaande werkgeversdienst was "
                "voor collega's niet altijd duidelijk.",
            ),
            (
                "meerwaarde_beperkt",
                "De aanpak heeft wel wat plaatsingen opgeleverd, maar "
                "minder dan we hadden gehoopt.",
            ),
        ],
    },
    2: {
        "hoog": [
            (
                "draagvlak_bestuur",
                "De wethouder en het management stonden vanaf het begin "
                "achter de aanpak en maakten ruimte vrij.",
            ),
            (
                "tijdsinvestering_ruim",
                "De relatiemanagers kregen vrijgemaakte uren en "
                "hoefden geen ander werk te laten liggen.",
            ),
            (
                "samenwerking_adviesbureau",
                "De samenwerking met Van Amstel Advies was "
                "intensief in het eerste halfjaar en daarna vooral coachend.",
            ),
        ],
        "laag": [
            (
                "draagvlak_laag",
                "Binnen de sociale dienst werd Werktop vooral gezien als iets "
                "van de projectleider; de uitvoering deed niet echt mee.",
            ),
            (
                "tijdsinvestering_krap",
                "Er was te weinig tijd; de relatiemanager deed Werktop naast een volle caseload.",
            ),
            (
                "herindeling",
                "De herindeling van de gemeenten vroeg veel aandacht, waardoor "
                "Werktop minder prioriteit kreeg.",
            ),
        ],
    },
    3: {
        "hoog": [
            (
                "ondernemers_positief",
                "Ondernemers zijn positief over het prettig gesprek "
                "en komen graag terug bij een volgende bijeenkomst.",
            ),
            (
                "kandidaten_gezien",
                "Kandidaten voelen zich gezien; ze zeggen dat er voor "
                "het eerst naar hun mogelijkheden werd gekeken.",
            ),
        ],
        "laag": [
            (
                "ondernemers_afwachtend",
                "Ondernemers waren afwachtend; een deel haakte af na het eerste gesprek.",
            ),
            (
                "kandidaten_wisselend",
                "Kandidaten zijn wisselend positief; sommigen vonden "
                "de bijeenkomsten te vrijblijvend.",
            ),
        ],
    },
    4: {
        "hoog": [
            (
                "minder_administratie",
                "Ondernemers willen minder administratieve rompslomp "
                "rond subsidies en proefplaatsingen.",
            ),
            (
                "maatwerk",
                "Succes vraagt maatwerk per kandidaat; een standaardtraject werkt "
                "niet voor deze groep.",
            ),
            (
                "financiele_ondersteuning",
                "Voor kleine bedrijven is financiële ondersteuning "
                "in de eerste maanden vaak doorslaggevend.",
            ),
        ],
        "laag": [
            (
                "minder_administratie",
                "Ondernemers klaagden over de formulieren; de "
                "administratie kostte hen meer tijd dan verwacht.",
            ),
            (
                "bestand_kwaliteit",
                "Het bestand bevat veel mensen met een grote afstand tot "
                "de arbeidsmarkt; passende kandidaten vinden was lastig.",
            ),
            (
                "maatwerk",
                "Er was te weinig ruimte voor maatwerk; kandidaten moesten in "
                "bestaande trajecten passen.",
            ),
        ],
    },
}
#: Codes whose text speaks of a municipal merger: only for a unit that is merging
#: (scenario UNITS[<id>]["herindeling"]); the text of every other unit follows its own
#: situation.
MERGER_CODES = frozenset({"herindeling", "borging_herindeling"})
INTERVIEW_CODES[5] = {
    "hoog": [
        (
            "borging_formatie",
            "De functie van relatiemanager is structureel in de formatie van de sociale "
            "dienst opgenomen.",
        ),
        (
            "borging_werkgeversdienst",
            "Werktop gaat op in het werkgeversservicepunt, zodat de werkwijze niet aan "
            "personen hangt.",
        ),
    ],
    "laag": [
        (
            "borging_ontbreekt",
            "Er is nog geen budget of formatie vastgelegd; de aanpak hangt aan de "
            "inzet van een paar mensen.",
        ),
        (
            "borging_herindeling",
            "Of de aanpak blijft, wordt pas na de herindeling besloten.",
        ),
    ],
}
# The unit's stated intention after the project (one fragment per unit, theme 5).
INTERVIEW_CONTINUATION = {
    "ja": "De gemeente wil Werktop na de projectperiode voortzetten met eigen middelen.",
    "twijfel": "Voortzetten willen we wel, maar alleen in afgeslankte vorm; daarover is "
    "nog geen besluit.",
    "nee": "De gemeente stopt met Werktop na de projectperiode.",
}
# Who said it in the group interview (prefix of the paraphrase).
INTERVIEW_SPEAKERS = [
    "Relatiemanager",
    "Teamleider werk en inkomen",
    "Beleidsmedewerker",
    "Adviseur Van Amstel",
    "Wethouder",
]
INTERVIEW_PII_TEMPLATES = [
    "Een kandidaat belde de relatiemanager rechtstreeks op {} en kreeg zo snel een "
    "vervolgafspraak.",
    "Genoemd werd een werkgever die zijn gegevens ({}) op de presentielijst had gezet.",
    "De relatiemanager gaf als voorbeeld een dossier met BSN {} waarin alles goed ging.",
]
