"""Annex 2 of the seed contract as data: the technical and organisational measures (DPA-6).

Built once from ``shared/spec/verwerkersovereenkomst.nl.txt`` (Bijlage 2) and the requirement
catalogue; shipped as data, never parsed at run time. ``source`` keeps the Dutch wording of the
contract, ``title`` the English summary used in the compliance report.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    id: str
    kind: str  # technical | organisational | art32
    title: str
    source: str


CATALOGUE: tuple[Measure, ...] = (
    Measure(
        "TOM-32a",
        "art32",
        "Pseudonymisation and encryption of personal data",
        "de pseudonimisering en versleuteling van persoonsgegevens",
    ),
    Measure(
        "TOM-32b",
        "art32",
        "Ongoing confidentiality, integrity, availability, resilience",
        "het vermogen om op permanente basis de vertrouwelijkheid, integriteit, "
        "beschikbaarheid en veerkracht van de verwerkingssystemen en diensten te garanderen",
    ),
    Measure(
        "TOM-32c",
        "art32",
        "Timely restore after a physical or technical incident",
        "het vermogen om bij een fysiek of technisch incident de beschikbaarheid van en de "
        "toegang tot de persoonsgegevens tijdig te herstellen",
    ),
    Measure(
        "TOM-32d",
        "art32",
        "Regular testing and evaluation of the measures",
        "een procedure voor het op gezette tijdstippen testen, beoordelen en evalueren van de "
        "doeltreffendheid van de technische en organisatorische maatregelen",
    ),
    Measure(
        "TOM-T1",
        "technical",
        "Automatic anonymisation or pseudonymisation after retention",
        "automatische anonimisering of pseudonimisering van de persoonsgegevens nadat het "
        "doeleinde van de verwerking (of wettelijke bewaartermijnen) zijn overschreden",
    ),
    Measure(
        "TOM-T2a",
        "technical",
        "The controller manages its own users",
        "het bestuur moet zelf interne gebruikers kunnen toevoegen/verwijderen (zonder "
        "tussenkomst v/d leverancier)",
    ),
    Measure(
        "TOM-T2b",
        "technical",
        "Multi-factor authentication (e.g. eID)",
        "de mogelijkheid om multi-factor authenticatie (bv. eID) te gebruiken",
    ),
    Measure(
        "TOM-T2c",
        "technical",
        "Password policy; users choose their own credentials",
        "de mogelijkheid om een wachtwoordenpolicy in te stellen (gebruikers kiezen zelf hun "
        "inloggegevens, deze worden niet in de back-end bepaald)",
    ),
    Measure(
        "TOM-T2d",
        "technical",
        "Password reset",
        "de mogelijkheid om het wachtwoord van een gebruiker te resetten",
    ),
    Measure(
        "TOM-T2e",
        "technical",
        "At least two levels of rights",
        "minstens 2 niveau's van rechten (een administrator en gebruikers)",
    ),
    Measure(
        "TOM-T3a",
        "technical",
        "Audit log of user actions, reads included",
        "loggen van: welke gebruiker, welke acties in het programma heeft uitgevoerd (incl. "
        "consultatie)",
    ),
    Measure(
        "TOM-T3b",
        "technical",
        "The customer consults the audit log itself",
        "raadpleegbaar door de klant (het bestuur) zonder tussenkomst van de leverancier",
    ),
    Measure(
        "TOM-T3c",
        "technical",
        "Supplier interventions logged and consultable",
        "logging van uitgevoerde tussenkomsten door de leverancier, raadpleegbaar door de klant "
        "zonder tussenkomst van de leverancier",
    ),
    Measure(
        "TOM-T4",
        "technical",
        "Export of data; backup",
        "mogelijkheid tot extractie (export) van gegevens / back-up mogelijkheid",
    ),
    Measure(
        "TOM-T5",
        "technical",
        "OWASP Top 10; brute-force protection",
        "een grondige beveiliging op basis van de OWASP top 10 bedreigingen, met minstens een "
        "bescherming tegen een brute force aanval",
    ),
    Measure(
        "TOM-T6",
        "technical",
        "Structural security updates",
        "structurele bijwerkingen op het vlak van security: server, databank, platform",
    ),
    Measure(
        "TOM-T7",
        "technical",
        "Secure connections (HTTPS, VPN, IPsec, FTPS)",
        "de persoonsgegevens worden via een beveiligde verbinding (https, VPN, IPSEC, FTPS) "
        "ter beschikking gesteld, ook met het Rijksregister",
    ),
    Measure(
        "TOM-T8",
        "technical",
        "Storage in a European data centre",
        "de persoonsgegevens worden opgeslagen in een Europees datacenter (liefst ISO27001 "
        "gecertificeerd)",
    ),
    Measure(
        "TOM-T9",
        "technical",
        "Backups over secure connections; documented procedure",
        "een back-up wordt ook via een beveiligde verbinding doorgegeven; de back-up procedure "
        "van de leverancier wordt gedocumenteerd",
    ),
    Measure(
        "TOM-T10",
        "technical",
        "Encrypted storage, at least for passwords",
        "data opslag gebeurt versleuteld, minstens voor de wachtwoorden",
    ),
    Measure(
        "TOM-O1",
        "organisational",
        "A security officer",
        "de leverancier beschikt over een veiligheidsconsulent",
    ),
    Measure(
        "TOM-O2",
        "organisational",
        "Staff know the security policy",
        "de leverancier toont aan dat zijn personeelsleden op de hoogte zijn van het "
        "veiligheidsbeleid",
    ),
    Measure(
        "TOM-O3",
        "organisational",
        "Data looked at only on request or after notice",
        "opgeslagen persoonsgegevens worden enkel ingekeken op vraag van de klant of na "
        "verwittiging voor onderhoud",
    ),
    Measure(
        "TOM-O4",
        "organisational",
        "Able to inform customers of a data breach",
        "de leverancier toont aan via documentatie dat hij in staat is om bij een data-lek "
        "klanten te informeren",
    ),
    Measure(
        "TOM-O5",
        "organisational",
        "A privacy statement",
        "een privacyverklaring geeft de nodige transparantie",
    ),
    Measure(
        "TOM-O6",
        "organisational",
        "An SLA with maximum interruptions and a contact point",
        "de leverancier garandeert in een SLA maximale onderbrekingen en een contactpunt bij "
        "incidenten",
    ),
)

BY_ID = {measure.id: measure for measure in CATALOGUE}
