"""What an entry says, as one sentence in Dutch, French or English (TOM-T3b).

Every catalogued event kind has a template per language, with ``{actor}`` (who, by name, with
their organisation and any supplier intervention) and ``{record}`` (what it concerns, by
reference). ``tests/unit/test_audit_sentences.py`` keeps the templates in step with the catalogue;
a kind newer than this table is told with a plain sentence naming its type. Pure: no framework.
"""

from dataclasses import dataclass
from typing import Literal

from shared.event_types.agreements import (
    AGREEMENT_ACTIVATED,
    AGREEMENT_CHANGE_DENIED,
    AGREEMENT_CLOSED,
    AGREEMENT_CREATED,
    AGREEMENT_EXPORTED,
    AGREEMENT_LISTED,
    AGREEMENT_SIGNED,
    AGREEMENT_TERMINATED,
    AGREEMENT_UPDATED,
    AGREEMENT_VIEW_DENIED,
    AGREEMENT_VIEWED,
    AGREEMENTS_GRANT_USE_DENIED,
    AGREEMENTS_RETENTION_EXPIRED,
    AMENDMENT_ACCEPTED,
    AMENDMENT_PROPOSED,
    AMENDMENT_WITHDRAWN,
    AUTHORITY_NOTIFICATION_REPORTED,
    BREACH_LISTED,
    BREACH_NOTICE_EXPIRED,
    BREACH_NOTICE_ISSUED,
    BREACH_NOTICE_UPDATED,
    BREACH_REPORTED,
    BREACH_VIEWED,
    CLAIM_INTERVENTION_ANSWERED,
    CLAIM_INTERVENTION_REQUESTED,
    CLOSURE_DEADLINE_ANNOUNCED,
    CLOSURE_DEADLINE_EXPIRED,
    COMPLIANCE_REPORT_EXPORTED,
    CONTROLLER_MEASURE_CREATED,
    DESTRUCTION_ATTESTATION_SIGNED,
    DISCLOSURE_REPORTED,
    DISCLOSURE_UPDATED,
    DPIA_ASSISTANCE_ANSWERED,
    DPIA_ASSISTANCE_REQUESTED,
    INSTRUCTION_ACKNOWLEDGED,
    INSTRUCTION_CONCERN_CLOSED,
    INSTRUCTION_CONCERN_REPORTED,
    INSTRUCTION_ISSUED,
    MEASURE_REVIEW_CLOSED,
    MEASURE_REVIEW_REPORTED,
    MEASURE_UPDATED,
    PRIVACY_NOTICE_APPROVED,
    PRIVACY_NOTICE_COMMENTED,
    PRIVACY_NOTICE_PROPOSED,
    PROCESSING_RECORD_EXPORTED,
    RECORD_LISTED,
    RISK_ASSESSMENT_CREATED,
    STAFF_MEMBER_CREATED,
    STAFF_MEMBER_REMOVED,
    SUBJECT_REQUEST_ASSISTED,
    SUBJECT_REQUEST_CLOSED,
    SUBJECT_REQUEST_EXPIRED,
    SUBJECT_REQUEST_FORWARDED,
    SUBPROCESSOR_CHANGE_PROPOSED,
    SUBPROCESSOR_CHANGE_WITHDRAWN,
    SUBPROCESSOR_FLOW_DOWN_CREATED,
    SUBPROCESSOR_LISTED,
    SUBPROCESSOR_NOTICE_ACCEPTED,
    SUBPROCESSOR_NOTICE_APPROVED,
    SUBPROCESSOR_NOTICE_EXPIRED,
    SUBPROCESSOR_NOTICE_ISSUED,
    SUBPROCESSOR_NOTICE_OBJECTED,
    SUBPROCESSOR_NOTICE_WITHDRAWN,
    SUBPROCESSOR_OBJECTION_CLOSED,
)
from shared.event_types.audit import (
    AUDIT_GRANT_USE_DENIED,
    LOG_EXPORTED,
    LOG_VERIFIED,
    LOG_VIEWED,
    PERSONAL_DATA_DESTROYED,
    PLATFORM_BACKUP_CREATED,
    PLATFORM_BACKUP_RESTORED,
    PLATFORM_DATABASE_MIGRATED,
    PLATFORM_KEY_REVOKED,
    PLATFORM_KEY_ROTATED,
    PROOF_VIEWED,
)
from shared.event_types.identity import (
    ACCOUNT_LOCKED,
    ACCOUNT_UNLOCKED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_UPDATED,
    FEDERATED_LOGIN_SUCCEEDED,
    GRANT_ACTIVATED,
    GRANT_APPROVED,
    GRANT_CHANGE_DENIED,
    GRANT_DENIED,
    GRANT_EXPIRED,
    GRANT_LISTED,
    GRANT_REQUESTED,
    GRANT_REVOKED,
    IDENTITY_GRANT_USE_DENIED,
    IDENTITY_RETENTION_EXPIRED,
    IDP_CONNECTED,
    IDP_DISCONNECTED,
    INVITATION_ACCEPTED,
    LINK_ISSUED,
    LINK_VIEWED,
    LOGIN_FAILED,
    LOGIN_SUCCEEDED,
    MAINTENANCE_NOTICE_CHANGE_DENIED,
    MAINTENANCE_NOTICE_LISTED,
    MAINTENANCE_NOTICE_OBJECTED,
    MAINTENANCE_NOTICE_SENT,
    MFA_ENROLLED,
    MFA_RESET,
    ORGANISATION_ANNOUNCED,
    ORGANISATION_CHANGE_DENIED,
    ORGANISATION_CREATED,
    ORGANISATION_DISABLED,
    ORGANISATION_ENABLED,
    ORGANISATION_LISTED,
    ORGANISATION_UPDATED,
    ORGANISATION_VIEW_DENIED,
    ORGANISATION_VIEWED,
    PASSKEY_CHANGE_DENIED,
    PASSKEY_LISTED,
    PASSKEY_REGISTERED,
    PASSKEY_REMOVED,
    PASSKEY_UPDATED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_UPDATED,
    POLICY_UPDATED,
    POLICY_VIEWED,
    RECOVERY_CODE_ISSUED,
    SESSION_CHANGE_DENIED,
    SESSION_LISTED,
    SESSION_REVOKED,
    SESSION_UPDATED,
    SESSION_VERIFIED,
    SIGNING_KEY_CREATED,
    SIGNING_KEY_REVOKED,
    USER_CHANGE_DENIED,
    USER_DISABLED,
    USER_ENABLED,
    USER_INVITED,
    USER_LISTED,
    USER_REMOVED,
    USER_ROLE_UPDATED,
    USER_VIEW_DENIED,
    USER_VIEWED,
)
from shared.event_types.notifier import (
    CONTACT_CREATED,
    CONTACT_DELETED,
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_REQUESTED,
    ENDPOINT_CREATED,
    ENDPOINT_DELETED,
    ENDPOINT_DISABLED,
    ENDPOINT_UPDATED,
    INBOX_ITEM_UPDATED,
    NOTICE_ACKNOWLEDGED,
    NOTICE_FAILED,
    NOTICE_ISSUED,
    NOTIFIER_GRANT_USE_DENIED,
    NOTIFIER_RETENTION_EXPIRED,
    ORGANISATION_SETTINGS_UPDATED,
    PREFERENCE_UPDATED,
    RECEIPT_LISTED,
    RECIPIENT_LISTED,
)

Language = Literal["nl", "fr", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "fr", "en")
DEFAULT_LANGUAGE: Language = "en"

# Per event type: the sentence in English, Dutch and French (in that order).
TEMPLATES: dict[str, tuple[str, str, str]] = {
    # -- identity: organisations and policies
    ORGANISATION_CREATED: (
        "{actor} created the organisation {record}.",
        "{actor} maakte de organisatie {record} aan.",
        "{actor} a créé l'organisation {record}.",
    ),
    ORGANISATION_UPDATED: (
        "{actor} renamed the organisation {record}.",
        "{actor} wijzigde de naam van de organisatie {record}.",
        "{actor} a renommé l'organisation {record}.",
    ),
    ORGANISATION_DISABLED: (
        "{actor} disabled the organisation {record}.",
        "{actor} schakelde de organisatie {record} uit.",
        "{actor} a désactivé l'organisation {record}.",
    ),
    ORGANISATION_ENABLED: (
        "{actor} enabled the organisation {record} again.",
        "{actor} schakelde de organisatie {record} opnieuw in.",
        "{actor} a réactivé l'organisation {record}.",
    ),
    ORGANISATION_ANNOUNCED: (
        "{actor} re-stated the organisation {record} for the platform's services.",
        "{actor} bevestigde de organisatie {record} opnieuw aan de diensten van het platform.",
        "{actor} a redéclaré l'organisation {record} aux services de la plateforme.",
    ),
    ORGANISATION_VIEWED: (
        "{actor} viewed the organisation {record}.",
        "{actor} bekeek de organisatie {record}.",
        "{actor} a consulté l'organisation {record}.",
    ),
    ORGANISATION_LISTED: (
        "{actor} viewed the list of organisations.",
        "{actor} bekeek de lijst van organisaties.",
        "{actor} a consulté la liste des organisations.",
    ),
    POLICY_UPDATED: (
        "{actor} changed the organisation's security policy.",
        "{actor} wijzigde het beveiligingsbeleid van de organisatie.",
        "{actor} a modifié la politique de sécurité de l'organisation.",
    ),
    POLICY_VIEWED: (
        "{actor} viewed the organisation's security policy.",
        "{actor} bekeek het beveiligingsbeleid van de organisatie.",
        "{actor} a consulté la politique de sécurité de l'organisation.",
    ),
    # -- identity: people
    USER_INVITED: (
        "{actor} invited the user {record}.",
        "{actor} nodigde de gebruiker {record} uit.",
        "{actor} a invité l'utilisateur {record}.",
    ),
    INVITATION_ACCEPTED: (
        "{actor} accepted their invitation and chose a password.",
        "{actor} aanvaardde de uitnodiging en koos een wachtwoord.",
        "{actor} a accepté son invitation et choisi un mot de passe.",
    ),
    USER_DISABLED: (
        "{actor} disabled the user {record}; their sessions ended.",
        "{actor} schakelde de gebruiker {record} uit; de sessies werden beëindigd.",
        "{actor} a désactivé l'utilisateur {record} ; ses sessions ont pris fin.",
    ),
    USER_ENABLED: (
        "{actor} enabled the user {record} again.",
        "{actor} schakelde de gebruiker {record} opnieuw in.",
        "{actor} a réactivé l'utilisateur {record}.",
    ),
    USER_REMOVED: (
        "{actor} removed the user {record} from the organisation.",
        "{actor} verwijderde de gebruiker {record} uit de organisatie.",
        "{actor} a retiré l'utilisateur {record} de l'organisation.",
    ),
    USER_ROLE_UPDATED: (
        "{actor} changed the role of the user {record}.",
        "{actor} wijzigde de rol van de gebruiker {record}.",
        "{actor} a modifié le rôle de l'utilisateur {record}.",
    ),
    USER_VIEWED: (
        "{actor} viewed the user {record}.",
        "{actor} bekeek de gebruiker {record}.",
        "{actor} a consulté l'utilisateur {record}.",
    ),
    USER_LISTED: (
        "{actor} viewed the list of users.",
        "{actor} bekeek de lijst van gebruikers.",
        "{actor} a consulté la liste des utilisateurs.",
    ),
    LINK_ISSUED: (
        "{actor} had a one-time link sent to the user {record}.",
        "{actor} liet een eenmalige link naar de gebruiker {record} sturen.",
        "{actor} a fait envoyer un lien à usage unique à l'utilisateur {record}.",
    ),
    LINK_VIEWED: (
        "{actor} opened a one-time link without using it.",
        "{actor} opende een eenmalige link zonder hem te gebruiken.",
        "{actor} a ouvert un lien à usage unique sans l'utiliser.",
    ),
    # -- identity: sign-in and sessions
    LOGIN_SUCCEEDED: (
        "{actor} signed in.",
        "{actor} meldde zich aan.",
        "{actor} s'est connecté.",
    ),
    LOGIN_FAILED: (
        "A sign-in to the account of {actor} failed.",
        "Een aanmelding op het account van {actor} mislukte.",
        "Une connexion au compte de {actor} a échoué.",
    ),
    ACCOUNT_LOCKED: (
        "The account {record} was locked after repeated failed sign-ins ({actor}).",
        "Het account {record} werd vergrendeld na herhaalde mislukte aanmeldingen ({actor}).",
        "Le compte {record} a été verrouillé après des échecs de connexion répétés ({actor}).",
    ),
    ACCOUNT_UNLOCKED: (
        "{actor} unlocked the account {record}.",
        "{actor} ontgrendelde het account {record}.",
        "{actor} a déverrouillé le compte {record}.",
    ),
    MFA_ENROLLED: (
        "{actor} set up a second sign-in factor.",
        "{actor} stelde een tweede aanmeldfactor in.",
        "{actor} a configuré un second facteur de connexion.",
    ),
    MFA_RESET: (
        "{actor} removed the second sign-in factor of the user {record}.",
        "{actor} verwijderde de tweede aanmeldfactor van de gebruiker {record}.",
        "{actor} a supprimé le second facteur de connexion de l'utilisateur {record}.",
    ),
    RECOVERY_CODE_ISSUED: (
        "{actor} received new recovery codes.",
        "{actor} kreeg nieuwe herstelcodes.",
        "{actor} a reçu de nouveaux codes de récupération.",
    ),
    SESSION_VERIFIED: (
        "{actor} confirmed their identity again before a sensitive change.",
        "{actor} bevestigde opnieuw de eigen identiteit voor een gevoelige wijziging.",
        "{actor} a confirmé à nouveau son identité avant une modification sensible.",
    ),
    IDP_CONNECTED: (
        "{actor} connected the organisation's own identity provider {record}.",
        "{actor} koppelde de eigen identiteitsprovider {record} van de organisatie.",
        "{actor} a connecté le fournisseur d'identité propre à l'organisation {record}.",
    ),
    IDP_DISCONNECTED: (
        "{actor} disconnected the organisation's own identity provider {record}.",
        "{actor} ontkoppelde de eigen identiteitsprovider {record} van de organisatie.",
        "{actor} a déconnecté le fournisseur d'identité propre à l'organisation {record}.",
    ),
    FEDERATED_LOGIN_SUCCEEDED: (
        "{actor} signed in through the organisation's own identity provider.",
        "{actor} meldde zich aan via de eigen identiteitsprovider van de organisatie.",
        "{actor} s'est connecté via le fournisseur d'identité propre à l'organisation.",
    ),
    PASSKEY_REGISTERED: (
        "{actor} registered a passkey.",
        "{actor} registreerde een passkey.",
        "{actor} a enregistré une clé d'accès.",
    ),
    PASSKEY_UPDATED: (
        "{actor} renamed a passkey.",
        "{actor} gaf een passkey een andere naam.",
        "{actor} a renommé une clé d'accès.",
    ),
    PASSKEY_REMOVED: (
        "{actor} removed a passkey.",
        "{actor} verwijderde een passkey.",
        "{actor} a supprimé une clé d'accès.",
    ),
    PASSKEY_LISTED: (
        "{actor} viewed their passkeys.",
        "{actor} bekeek de eigen passkeys.",
        "{actor} a consulté ses clés d'accès.",
    ),
    PASSWORD_UPDATED: (
        "{actor} changed their password.",
        "{actor} wijzigde het eigen wachtwoord.",
        "{actor} a modifié son mot de passe.",
    ),
    EMAIL_CHANGE_REQUESTED: (
        "{actor} asked to sign in with another e-mail address; a link went to that address.",
        "{actor} vroeg zich voortaan met een ander e-mailadres aan te melden; er ging een link "
        "naar dat adres.",
        "{actor} a demandé à se connecter désormais avec une autre adresse e-mail ; un lien a été "
        "envoyé à cette adresse.",
    ),
    EMAIL_UPDATED: (
        "{actor} confirmed a new sign-in e-mail address; the former address was told.",
        "{actor} bevestigde een nieuw e-mailadres om zich aan te melden; het vorige adres werd "
        "verwittigd.",
        "{actor} a confirmé une nouvelle adresse e-mail de connexion ; l'ancienne adresse en a "
        "été informée.",
    ),
    PASSWORD_RESET_REQUESTED: (
        "{actor} asked for a password reset link for {record}.",
        "{actor} vroeg een link aan om het wachtwoord van {record} opnieuw in te stellen.",
        "{actor} a demandé un lien de réinitialisation du mot de passe de {record}.",
    ),
    PASSWORD_RESET: (
        "{actor} reset their password through a one-time link; all sessions ended.",
        "{actor} stelde het wachtwoord opnieuw in via een eenmalige link; alle sessies eindigden.",
        "{actor} a réinitialisé son mot de passe par un lien à usage unique ; "
        "toutes les sessions ont pris fin.",
    ),
    SESSION_REVOKED: (
        "{actor} ended sessions of {record}.",
        "{actor} beëindigde sessies van {record}.",
        "{actor} a mis fin à des sessions de {record}.",
    ),
    SESSION_LISTED: (
        "{actor} viewed their own open sessions.",
        "{actor} bekeek de eigen open sessies.",
        "{actor} a consulté ses propres sessions ouvertes.",
    ),
    SESSION_UPDATED: (
        "{actor} continued a session (its refresh token was renewed).",
        "{actor} zette een sessie voort (het vernieuwingstoken werd vervangen).",
        "{actor} a prolongé une session (son jeton de renouvellement a été remplacé).",
    ),
    SIGNING_KEY_CREATED: (
        "{actor} created a new key that signs access tokens.",
        "{actor} maakte een nieuwe sleutel aan die toegangstokens ondertekent.",
        "{actor} a créé une nouvelle clé de signature des jetons d'accès.",
    ),
    IDENTITY_RETENTION_EXPIRED: (
        "{actor} deleted the client addresses of failed sign-ins past their retention period.",
        "{actor} verwijderde de clientadressen van mislukte aanmeldingen waarvan de "
        "bewaartermijn verstreken is.",
        "{actor} a supprimé les adresses client des connexions échouées dont le délai de "
        "conservation a expiré.",
    ),
    SIGNING_KEY_REVOKED: (
        "{actor} revoked a key that signed access tokens; tokens it signed no longer work.",
        "{actor} trok een sleutel in die toegangstokens ondertekende; tokens die ermee "
        "ondertekend zijn, werken niet meer.",
        "{actor} a révoqué une clé de signature des jetons d'accès ; les jetons qu'elle a "
        "signés ne fonctionnent plus.",
    ),
    # -- identity: supplier access
    GRANT_REQUESTED: (
        "{actor} asked for time-limited access to the organisation's data (grant {record}).",
        "{actor} vroeg tijdelijke toegang tot de gegevens van de organisatie "
        "(machtiging {record}).",
        "{actor} a demandé un accès limité dans le temps aux données de l'organisation "
        "(autorisation {record}).",
    ),
    GRANT_APPROVED: (
        "{actor} approved the supplier's access grant {record}.",
        "{actor} keurde de toegangsmachtiging {record} van de leverancier goed.",
        "{actor} a approuvé l'autorisation d'accès {record} du fournisseur.",
    ),
    GRANT_DENIED: (
        "{actor} refused the supplier's access grant {record}.",
        "{actor} weigerde de toegangsmachtiging {record} van de leverancier.",
        "{actor} a refusé l'autorisation d'accès {record} du fournisseur.",
    ),
    GRANT_REVOKED: (
        "{actor} revoked the supplier's access grant {record}.",
        "{actor} trok de toegangsmachtiging {record} van de leverancier in.",
        "{actor} a révoqué l'autorisation d'accès {record} du fournisseur.",
    ),
    GRANT_EXPIRED: (
        "The supplier's access grant {record} came to its end ({actor}).",
        "De toegangsmachtiging {record} van de leverancier liep af ({actor}).",
        "L'autorisation d'accès {record} du fournisseur a expiré ({actor}).",
    ),
    GRANT_ACTIVATED: (
        "{actor} started using the access grant {record}.",
        "{actor} begon de toegangsmachtiging {record} te gebruiken.",
        "{actor} a commencé à utiliser l'autorisation d'accès {record}.",
    ),
    GRANT_LISTED: (
        "{actor} viewed the supplier's access grants.",
        "{actor} bekeek de toegangsmachtigingen van de leverancier.",
        "{actor} a consulté les autorisations d'accès du fournisseur.",
    ),
    MAINTENANCE_NOTICE_SENT: (
        "{actor} announced a maintenance window ({record}).",
        "{actor} kondigde een onderhoudsvenster aan ({record}).",
        "{actor} a annoncé une fenêtre de maintenance ({record}).",
    ),
    MAINTENANCE_NOTICE_OBJECTED: (
        "{actor} objected to the maintenance notice {record}; the grants it covered ended.",
        "{actor} maakte bezwaar tegen de onderhoudsmelding {record}; "
        "de machtigingen eronder eindigden.",
        "{actor} s'est opposé à l'avis de maintenance {record} ; "
        "les autorisations qu'il couvrait ont pris fin.",
    ),
    MAINTENANCE_NOTICE_LISTED: (
        "{actor} viewed the maintenance notices.",
        "{actor} bekeek de onderhoudsmeldingen.",
        "{actor} a consulté les avis de maintenance.",
    ),
    # -- agreements
    AGREEMENT_CREATED: (
        "{actor} drafted the agreement {record}.",
        "{actor} stelde de overeenkomst {record} op.",
        "{actor} a rédigé l'accord {record}.",
    ),
    AGREEMENT_VIEWED: (
        "{actor} viewed the agreement {record}.",
        "{actor} bekeek de overeenkomst {record}.",
        "{actor} a consulté l'accord {record}.",
    ),
    AGREEMENT_LISTED: (
        "{actor} viewed the list of agreements.",
        "{actor} bekeek de lijst van overeenkomsten.",
        "{actor} a consulté la liste des accords.",
    ),
    AGREEMENT_UPDATED: (
        "{actor} edited the draft agreement {record}.",
        "{actor} bewerkte de ontwerpovereenkomst {record}.",
        "{actor} a modifié le projet d'accord {record}.",
    ),
    AGREEMENT_SIGNED: (
        "{actor} signed the agreement {record}.",
        "{actor} ondertekende de overeenkomst {record}.",
        "{actor} a signé l'accord {record}.",
    ),
    AGREEMENT_ACTIVATED: (
        "The agreement {record} came into force ({actor}).",
        "De overeenkomst {record} trad in werking ({actor}).",
        "L'accord {record} est entré en vigueur ({actor}).",
    ),
    AGREEMENT_TERMINATED: (
        "{actor} terminated the agreement {record}.",
        "{actor} beëindigde de overeenkomst {record}.",
        "{actor} a résilié l'accord {record}.",
    ),
    AGREEMENT_EXPORTED: (
        "{actor} exported the agreement {record}.",
        "{actor} exporteerde de overeenkomst {record}.",
        "{actor} a exporté l'accord {record}.",
    ),
    AGREEMENT_CLOSED: (
        "The agreement {record} was closed: its data was returned or destroyed ({actor}).",
        "De overeenkomst {record} werd afgesloten: de gegevens werden terugbezorgd of vernietigd "
        "({actor}).",
        "L'accord {record} a été clôturé : ses données ont été restituées ou détruites ({actor}).",
    ),
    DESTRUCTION_ATTESTATION_SIGNED: (
        "{actor} attested for the processor what was destroyed or returned on its own systems "
        "and backups under the agreement {record}.",
        "{actor} verklaarde voor de verwerker wat op zijn eigen systemen en back-ups vernietigd "
        "of terugbezorgd werd onder de overeenkomst {record}.",
        "{actor} a attesté pour le sous-traitant ce qui a été détruit ou restitué sur ses propres "
        "systèmes et sauvegardes dans le cadre de l'accord {record}.",
    ),
    CLOSURE_DEADLINE_ANNOUNCED: (
        "{actor} reminded both parties that the deadline to return or destroy the data of the "
        "agreement {record} approaches.",
        "{actor} herinnerde beide partijen eraan dat de termijn om de gegevens van de "
        "overeenkomst {record} terug te bezorgen of te vernietigen nadert.",
        "{actor} a rappelé aux deux parties que le délai pour restituer ou détruire les données "
        "de l'accord {record} approche.",
    ),
    CLOSURE_DEADLINE_EXPIRED: (
        "{actor} noted that the deadline to return or destroy the data of the agreement "
        "{record} passed while the end is still open.",
        "{actor} stelde vast dat de termijn om de gegevens van de overeenkomst {record} terug te "
        "bezorgen of te vernietigen verstreken is terwijl het einde nog openstaat.",
        "{actor} a constaté que le délai pour restituer ou détruire les données de l'accord "
        "{record} est dépassé alors que la fin n'est pas encore réglée.",
    ),
    AGREEMENTS_RETENTION_EXPIRED: (
        "A record of the agreement {record} reached the end of its retention period and was "
        "pseudonymised or deleted ({actor}).",
        "Een gegeven van de overeenkomst {record} bereikte het einde van zijn bewaartermijn en "
        "werd gepseudonimiseerd of gewist ({actor}).",
        "Un enregistrement de l'accord {record} a atteint la fin de sa durée de conservation et "
        "a été pseudonymisé ou effacé ({actor}).",
    ),
    AMENDMENT_PROPOSED: (
        "{actor} proposed an amendment to the agreement {record}.",
        "{actor} stelde een wijziging van de overeenkomst {record} voor.",
        "{actor} a proposé un avenant à l'accord {record}.",
    ),
    AMENDMENT_ACCEPTED: (
        "The amendment to the agreement {record} was signed by both parties ({actor}).",
        "De wijziging van de overeenkomst {record} werd door beide partijen ondertekend ({actor}).",
        "L'avenant à l'accord {record} a été signé par les deux parties ({actor}).",
    ),
    AMENDMENT_WITHDRAWN: (
        "{actor} withdrew or declined the amendment to the agreement {record}.",
        "{actor} trok de wijziging van de overeenkomst {record} in of wees ze af.",
        "{actor} a retiré ou refusé l'avenant à l'accord {record}.",
    ),
    RECORD_LISTED: (
        "{actor} viewed the records of the agreement {record}.",
        "{actor} bekeek de registers van de overeenkomst {record}.",
        "{actor} a consulté les registres de l'accord {record}.",
    ),
    INSTRUCTION_ISSUED: (
        "{actor} gave a documented instruction under the agreement {record}.",
        "{actor} gaf een gedocumenteerde instructie onder de overeenkomst {record}.",
        "{actor} a donné une instruction documentée dans le cadre de l'accord {record}.",
    ),
    INSTRUCTION_ACKNOWLEDGED: (
        "{actor} acknowledged an instruction under the agreement {record}.",
        "{actor} bevestigde een instructie onder de overeenkomst {record}.",
        "{actor} a accusé réception d'une instruction dans le cadre de l'accord {record}.",
    ),
    INSTRUCTION_CONCERN_REPORTED: (
        "{actor} flagged the instruction {record} as possibly infringing the GDPR; it is on hold.",
        "{actor} meldde dat de instructie {record} mogelijk inbreuk maakt op de AVG; ze staat "
        "in de wacht.",
        "{actor} a signalé que l'instruction {record} pourrait enfreindre le RGPD ; elle est "
        "suspendue.",
    ),
    INSTRUCTION_CONCERN_CLOSED: (
        "{actor} answered the concern about the instruction {record}.",
        "{actor} beantwoordde het bezwaar tegen de instructie {record}.",
        "{actor} a répondu à la réserve sur l'instruction {record}.",
    ),
    PRIVACY_NOTICE_PROPOSED: (
        "{actor} submitted the processor's privacy notice under the agreement {record} for "
        "approval.",
        "{actor} legde de privacyverklaring van de verwerker onder de overeenkomst {record} ter "
        "goedkeuring voor.",
        "{actor} a soumis la déclaration de confidentialité du sous-traitant dans le cadre de "
        "l'accord {record} pour approbation.",
    ),
    PRIVACY_NOTICE_APPROVED: (
        "{actor} approved the processor's privacy notice under the agreement {record}.",
        "{actor} keurde de privacyverklaring van de verwerker onder de overeenkomst {record} goed.",
        "{actor} a approuvé la déclaration de confidentialité du sous-traitant dans le cadre de "
        "l'accord {record}.",
    ),
    PRIVACY_NOTICE_COMMENTED: (
        "{actor} commented on the processor's privacy notice under the agreement {record}.",
        "{actor} maakte opmerkingen bij de privacyverklaring van de verwerker onder de "
        "overeenkomst {record}.",
        "{actor} a commenté la déclaration de confidentialité du sous-traitant dans le cadre de "
        "l'accord {record}.",
    ),
    SUBJECT_REQUEST_FORWARDED: (
        "{actor} forwarded a data subject's request to the controller under the agreement "
        "{record}.",
        "{actor} stuurde een verzoek van een betrokkene door naar de verwerkingsverantwoordelijke "
        "onder de overeenkomst {record}.",
        "{actor} a transmis la demande d'une personne concernée au responsable du traitement dans "
        "le cadre de l'accord {record}.",
    ),
    SUBJECT_REQUEST_ASSISTED: (
        "{actor} recorded the processor's assistance with a data subject's request under the "
        "agreement {record}.",
        "{actor} registreerde de hulp van de verwerker bij een verzoek van een betrokkene onder "
        "de overeenkomst {record}.",
        "{actor} a enregistré l'aide du sous-traitant pour la demande d'une personne concernée "
        "dans le cadre de l'accord {record}.",
    ),
    SUBJECT_REQUEST_CLOSED: (
        "{actor} closed a data subject's request under the agreement {record}.",
        "{actor} sloot een verzoek van een betrokkene af onder de overeenkomst {record}.",
        "{actor} a clôturé la demande d'une personne concernée dans le cadre de l'accord {record}.",
    ),
    SUBJECT_REQUEST_EXPIRED: (
        "{actor} noted that the processor's deadline to assist with a data subject's request "
        "under the agreement {record} passed.",
        "{actor} stelde vast dat de termijn van de verwerker om te helpen bij een verzoek van een "
        "betrokkene onder de overeenkomst {record} verstreken is.",
        "{actor} a constaté que le délai du sous-traitant pour aider à la demande d'une personne "
        "concernée dans le cadre de l'accord {record} est dépassé.",
    ),
    DPIA_ASSISTANCE_REQUESTED: (
        "{actor} asked the processor's help with a DPIA or a prior consultation under the "
        "agreement {record}.",
        "{actor} vroeg de hulp van de verwerker bij een gegevensbeschermingseffectbeoordeling of "
        "een voorafgaande raadpleging onder de overeenkomst {record}.",
        "{actor} a demandé l'aide du sous-traitant pour une analyse d'impact ou une consultation "
        "préalable dans le cadre de l'accord {record}.",
    ),
    DPIA_ASSISTANCE_ANSWERED: (
        "{actor} answered a request for help with a DPIA or a prior consultation under the "
        "agreement {record}.",
        "{actor} beantwoordde een vraag om hulp bij een gegevensbeschermingseffectbeoordeling of "
        "een voorafgaande raadpleging onder de overeenkomst {record}.",
        "{actor} a répondu à une demande d'aide pour une analyse d'impact ou une consultation "
        "préalable dans le cadre de l'accord {record}.",
    ),
    CLAIM_INTERVENTION_REQUESTED: (
        "{actor} asked the processor to intervene in a data subject's claim under the agreement "
        "{record}.",
        "{actor} vroeg de verwerker tussen te komen in een schadeclaim van een betrokkene onder "
        "de overeenkomst {record}.",
        "{actor} a demandé au sous-traitant d'intervenir dans la réclamation d'une personne "
        "concernée dans le cadre de l'accord {record}.",
    ),
    CLAIM_INTERVENTION_ANSWERED: (
        "{actor} answered whether the processor intervenes in a data subject's claim under the "
        "agreement {record}.",
        "{actor} antwoordde of de verwerker tussenkomt in een schadeclaim van een betrokkene "
        "onder de overeenkomst {record}.",
        "{actor} a répondu si le sous-traitant intervient dans la réclamation d'une personne "
        "concernée dans le cadre de l'accord {record}.",
    ),
    MEASURE_UPDATED: (
        "{actor} updated a security measure of the agreement {record}.",
        "{actor} wijzigde een beveiligingsmaatregel van de overeenkomst {record}.",
        "{actor} a mis à jour une mesure de sécurité de l'accord {record}.",
    ),
    CONTROLLER_MEASURE_CREATED: (
        "{actor} recorded a measure of the controller's own under the agreement {record}.",
        "{actor} registreerde een eigen maatregel van de verwerkingsverantwoordelijke onder de "
        "overeenkomst {record}.",
        "{actor} a enregistré une mesure propre du responsable du traitement dans le cadre de "
        "l'accord {record}.",
    ),
    MEASURE_REVIEW_REPORTED: (
        "{actor} reviewed a security measure of the processor under the agreement {record} and "
        "recorded the finding.",
        "{actor} toetste een beveiligingsmaatregel van de verwerker onder de overeenkomst "
        "{record} en registreerde de bevinding.",
        "{actor} a contrôlé une mesure de sécurité du sous-traitant dans le cadre de l'accord "
        "{record} et enregistré le constat.",
    ),
    MEASURE_REVIEW_CLOSED: (
        "{actor} closed the review of a security measure under the agreement {record}.",
        "{actor} sloot de toetsing van een beveiligingsmaatregel onder de overeenkomst {record} "
        "af.",
        "{actor} a clôturé le contrôle d'une mesure de sécurité dans le cadre de l'accord "
        "{record}.",
    ),
    RISK_ASSESSMENT_CREATED: (
        "{actor} recorded a risk assessment of the processing under the agreement {record}.",
        "{actor} registreerde een risicobeoordeling van de verwerking onder de overeenkomst "
        "{record}.",
        "{actor} a enregistré une analyse des risques du traitement dans le cadre de l'accord "
        "{record}.",
    ),
    COMPLIANCE_REPORT_EXPORTED: (
        "{actor} exported a compliance report.",
        "{actor} exporteerde een nalevingsrapport.",
        "{actor} a exporté un rapport de conformité.",
    ),
    PROCESSING_RECORD_EXPORTED: (
        "{actor} exported the record of processing activities.",
        "{actor} exporteerde het register van verwerkingsactiviteiten.",
        "{actor} a exporté le registre des activités de traitement.",
    ),
    # -- agreements: subprocessors
    SUBPROCESSOR_CHANGE_PROPOSED: (
        "{actor} proposed a change of subprocessor ({record}).",
        "{actor} stelde een wijziging van subverwerker voor ({record}).",
        "{actor} a proposé un changement de sous-traitant ultérieur ({record}).",
    ),
    SUBPROCESSOR_CHANGE_WITHDRAWN: (
        "{actor} withdrew the proposed change of subprocessor {record}.",
        "{actor} trok de voorgestelde wijziging van subverwerker {record} in.",
        "{actor} a retiré le changement de sous-traitant ultérieur proposé {record}.",
    ),
    SUBPROCESSOR_OBJECTION_CLOSED: (
        "{actor} recorded how the objection to a change of subprocessor was closed ({record}).",
        "{actor} legde vast hoe het bezwaar tegen een wijziging van subverwerker werd "
        "afgesloten ({record}).",
        "{actor} a consigné la clôture de l'objection à un changement de sous-traitant "
        "ultérieur ({record}).",
    ),
    SUBPROCESSOR_FLOW_DOWN_CREATED: (
        "{actor} recorded the agreement with a subprocessor that passes on the same "
        "obligations ({record}).",
        "{actor} legde de overeenkomst met een subverwerker vast die dezelfde "
        "verplichtingen oplegt ({record}).",
        "{actor} a consigné le contrat avec un sous-traitant ultérieur qui impose les "
        "mêmes obligations ({record}).",
    ),
    SUBPROCESSOR_NOTICE_ISSUED: (
        "{actor} notified a change of subprocessor under the agreement {record}.",
        "{actor} meldde een wijziging van subverwerker onder de overeenkomst {record}.",
        "{actor} a notifié un changement de sous-traitant ultérieur pour l'accord {record}.",
    ),
    SUBPROCESSOR_NOTICE_APPROVED: (
        "{actor} approved the change of subprocessor for the agreement {record}.",
        "{actor} keurde de wijziging van subverwerker voor de overeenkomst {record} goed.",
        "{actor} a approuvé le changement de sous-traitant ultérieur pour l'accord {record}.",
    ),
    SUBPROCESSOR_NOTICE_OBJECTED: (
        "{actor} objected to the change of subprocessor for the agreement {record}.",
        "{actor} maakte bezwaar tegen de wijziging van subverwerker voor de overeenkomst {record}.",
        "{actor} s'est opposé au changement de sous-traitant ultérieur pour l'accord {record}.",
    ),
    SUBPROCESSOR_NOTICE_ACCEPTED: (
        "The change of subprocessor for the agreement {record} was accepted by silence ({actor}).",
        "De wijziging van subverwerker voor de overeenkomst {record} werd stilzwijgend aanvaard "
        "({actor}).",
        "Le changement de sous-traitant ultérieur pour l'accord {record} a été accepté "
        "tacitement ({actor}).",
    ),
    SUBPROCESSOR_NOTICE_EXPIRED: (
        "The objection period for the change of subprocessor under the agreement {record} "
        "ended without an answer ({actor}).",
        "De bezwaartermijn voor de wijziging van subverwerker onder de overeenkomst {record} "
        "liep af zonder antwoord ({actor}).",
        "Le délai d'opposition au changement de sous-traitant ultérieur pour l'accord {record} "
        "a pris fin sans réponse ({actor}).",
    ),
    SUBPROCESSOR_NOTICE_WITHDRAWN: (
        "{actor} withdrew the change of subprocessor for the agreement {record}.",
        "{actor} trok de wijziging van subverwerker voor de overeenkomst {record} in.",
        "{actor} a retiré le changement de sous-traitant ultérieur pour l'accord {record}.",
    ),
    SUBPROCESSOR_LISTED: (
        "{actor} viewed the list of subprocessors.",
        "{actor} bekeek de lijst van subverwerkers.",
        "{actor} a consulté la liste des sous-traitants ultérieurs.",
    ),
    # -- agreements: breaches, staff, disclosures
    BREACH_REPORTED: (
        "{actor} reported the personal data breach {record}.",
        "{actor} meldde het datalek {record}.",
        "{actor} a signalé la violation de données à caractère personnel {record}.",
    ),
    BREACH_VIEWED: (
        "{actor} viewed the personal data breach {record}.",
        "{actor} bekeek het datalek {record}.",
        "{actor} a consulté la violation de données à caractère personnel {record}.",
    ),
    BREACH_LISTED: (
        "{actor} viewed the list of personal data breaches.",
        "{actor} bekeek de lijst van datalekken.",
        "{actor} a consulté la liste des violations de données à caractère personnel.",
    ),
    BREACH_NOTICE_ISSUED: (
        "{actor} notified the controller of the breach {record}.",
        "{actor} bracht de verwerkingsverantwoordelijke op de hoogte van het datalek {record}.",
        "{actor} a notifié la violation {record} au responsable du traitement.",
    ),
    BREACH_NOTICE_UPDATED: (
        "{actor} added information to the breach notice {record}.",
        "{actor} vulde de melding van het datalek {record} aan.",
        "{actor} a complété la notification de la violation {record}.",
    ),
    BREACH_NOTICE_EXPIRED: (
        "The deadline of the breach notice {record} passed ({actor}).",
        "De termijn van de melding van het datalek {record} verstreek ({actor}).",
        "Le délai de la notification de la violation {record} est dépassé ({actor}).",
    ),
    AUTHORITY_NOTIFICATION_REPORTED: (
        "{actor} recorded that the breach {record} was notified to the supervisory authority.",
        "{actor} noteerde dat het datalek {record} aan de toezichthouder werd gemeld.",
        "{actor} a consigné la notification de la violation {record} à l'autorité de contrôle.",
    ),
    STAFF_MEMBER_CREATED: (
        "{actor} added a staff member with access to the data ({record}).",
        "{actor} voegde een medewerker met toegang tot de gegevens toe ({record}).",
        "{actor} a ajouté un membre du personnel ayant accès aux données ({record}).",
    ),
    STAFF_MEMBER_REMOVED: (
        "{actor} removed a staff member's access to the data ({record}).",
        "{actor} verwijderde de toegang van een medewerker tot de gegevens ({record}).",
        "{actor} a retiré l'accès d'un membre du personnel aux données ({record}).",
    ),
    DISCLOSURE_REPORTED: (
        "{actor} recorded a request for disclosure by an authority ({record}).",
        "{actor} registreerde een verzoek tot openbaarmaking door een overheid ({record}).",
        "{actor} a consigné une demande de divulgation par une autorité ({record}).",
    ),
    DISCLOSURE_UPDATED: (
        "{actor} updated the disclosure to an authority {record}.",
        "{actor} werkte de openbaarmaking aan een overheid {record} bij.",
        "{actor} a mis à jour la divulgation à une autorité {record}.",
    ),
    # -- audit
    LOG_VIEWED: (
        "{actor} read the audit log.",
        "{actor} las het auditlogboek.",
        "{actor} a lu le journal d'audit.",
    ),
    LOG_EXPORTED: (
        "{actor} exported the audit log.",
        "{actor} exporteerde het auditlogboek.",
        "{actor} a exporté le journal d'audit.",
    ),
    LOG_VERIFIED: (
        "{actor} had the whole audit log verified.",
        "{actor} liet het volledige auditlogboek controleren.",
        "{actor} a fait vérifier l'ensemble du journal d'audit.",
    ),
    PROOF_VIEWED: (
        "{actor} viewed a proof of the audit log.",
        "{actor} bekeek een bewijs van het auditlogboek.",
        "{actor} a consulté une preuve du journal d'audit.",
    ),
    PERSONAL_DATA_DESTROYED: (
        "{actor} erased personal data in the audit log by destroying its keys ({record}).",
        "{actor} wiste persoonsgegevens in het auditlogboek door de sleutels te vernietigen "
        "({record}).",
        "{actor} a effacé des données personnelles du journal d'audit en détruisant leurs clés "
        "({record}).",
    ),
    # -- the processor's other applications
    "dpa.external.record.viewed.v1": (
        "{actor} viewed the record {record} in another application.",
        "{actor} bekeek het dossier {record} in een andere toepassing.",
        "{actor} a consulté le dossier {record} dans une autre application.",
    ),
    "dpa.external.record.listed.v1": (
        "{actor} viewed a list of records in another application.",
        "{actor} bekeek een lijst van dossiers in een andere toepassing.",
        "{actor} a consulté une liste de dossiers dans une autre application.",
    ),
    "dpa.external.record.exported.v1": (
        "{actor} exported the record {record} from another application.",
        "{actor} exporteerde het dossier {record} uit een andere toepassing.",
        "{actor} a exporté le dossier {record} depuis une autre application.",
    ),
    "dpa.external.record.created.v1": (
        "{actor} created the record {record} in another application.",
        "{actor} maakte het dossier {record} aan in een andere toepassing.",
        "{actor} a créé le dossier {record} dans une autre application.",
    ),
    "dpa.external.record.updated.v1": (
        "{actor} changed the record {record} in another application.",
        "{actor} wijzigde het dossier {record} in een andere toepassing.",
        "{actor} a modifié le dossier {record} dans une autre application.",
    ),
    "dpa.external.record.deleted.v1": (
        "{actor} deleted the record {record} in another application.",
        "{actor} verwijderde het dossier {record} in een andere toepassing.",
        "{actor} a supprimé le dossier {record} dans une autre application.",
    ),
    # -- refused requests for another organisation's records (access attempts)
    AGREEMENT_VIEW_DENIED: (
        "{actor} tried to view the agreement {record} and was refused.",
        "{actor} probeerde de overeenkomst {record} te bekijken en werd geweigerd.",
        "{actor} a tenté de consulter l'accord {record} et a été refusé.",
    ),
    AGREEMENT_CHANGE_DENIED: (
        "{actor} tried to change the agreement {record} and was refused.",
        "{actor} probeerde de overeenkomst {record} te wijzigen en werd geweigerd.",
        "{actor} a tenté de modifier l'accord {record} et a été refusé.",
    ),
    USER_VIEW_DENIED: (
        "{actor} tried to view the user {record} and was refused.",
        "{actor} probeerde de gebruiker {record} te bekijken en werd geweigerd.",
        "{actor} a tenté de consulter l'utilisateur {record} et a été refusé.",
    ),
    USER_CHANGE_DENIED: (
        "{actor} tried to change the user {record} and was refused.",
        "{actor} probeerde de gebruiker {record} te wijzigen en werd geweigerd.",
        "{actor} a tenté de modifier l'utilisateur {record} et a été refusé.",
    ),
    ORGANISATION_VIEW_DENIED: (
        "{actor} tried to view the organisation {record} and was refused.",
        "{actor} probeerde de organisatie {record} te bekijken en werd geweigerd.",
        "{actor} a tenté de consulter l'organisation {record} et a été refusé.",
    ),
    ORGANISATION_CHANGE_DENIED: (
        "{actor} tried to change the organisation {record} and was refused.",
        "{actor} probeerde de organisatie {record} te wijzigen en werd geweigerd.",
        "{actor} a tenté de modifier l'organisation {record} et a été refusé.",
    ),
    GRANT_CHANGE_DENIED: (
        "{actor} tried to decide on the access grant {record} and was refused.",
        "{actor} probeerde te beslissen over de toegangsmachtiging {record} en werd geweigerd.",
        "{actor} a tenté de statuer sur l'autorisation d'accès {record} et a été refusé.",
    ),
    MAINTENANCE_NOTICE_CHANGE_DENIED: (
        "{actor} tried to object to the maintenance notice {record} and was refused.",
        "{actor} probeerde bezwaar te maken tegen de onderhoudsmelding {record} en werd geweigerd.",
        "{actor} a tenté de s'opposer à l'avis de maintenance {record} et a été refusé.",
    ),
    PASSKEY_CHANGE_DENIED: (
        "{actor} tried to change the passkey {record} and was refused.",
        "{actor} probeerde de passkey {record} te wijzigen en werd geweigerd.",
        "{actor} a tenté de modifier la clé d'accès {record} et a été refusé.",
    ),
    SESSION_CHANGE_DENIED: (
        "{actor} tried to end the session {record} and was refused.",
        "{actor} probeerde de sessie {record} te beëindigen en werd geweigerd.",
        "{actor} a tenté de mettre fin à la session {record} et a été refusé.",
    ),
    # -- a token under a grant that ended, refused by the service it reached (access attempts)
    **dict.fromkeys(
        (
            IDENTITY_GRANT_USE_DENIED,
            AGREEMENTS_GRANT_USE_DENIED,
            AUDIT_GRANT_USE_DENIED,
            NOTIFIER_GRANT_USE_DENIED,
        ),
        (
            "{actor} tried to use the ended access grant {record} and was refused.",
            "{actor} probeerde de beëindigde toegangsmachtiging {record} te gebruiken en werd "
            "geweigerd.",
            "{actor} a tenté d'utiliser l'autorisation d'accès terminée {record} et a été refusé.",
        ),
    ),
    # -- platform maintenance by the operator (one event, in every organisation's log)
    PLATFORM_BACKUP_CREATED: (
        "Platform maintenance: backup {record} of the platform by operator {actor}.",
        "Platformonderhoud: back-up {record} van het platform door operator {actor}.",
        "Maintenance de la plateforme : sauvegarde {record} de la plateforme par l'opérateur "
        "{actor}.",
    ),
    PLATFORM_BACKUP_RESTORED: (
        "Platform maintenance: restore of backup {record} by operator {actor}.",
        "Platformonderhoud: herstel van back-up {record} door operator {actor}.",
        "Maintenance de la plateforme : restauration de la sauvegarde {record} par l'opérateur "
        "{actor}.",
    ),
    PLATFORM_DATABASE_MIGRATED: (
        "Platform maintenance: migration of the databases {record} by operator {actor}.",
        "Platformonderhoud: migratie van de databanken {record} door operator {actor}.",
        "Maintenance de la plateforme : migration des bases de données {record} par "
        "l'opérateur {actor}.",
    ),
    PLATFORM_KEY_ROTATED: (
        "Platform maintenance: rotation of the {record} signing key by operator {actor}.",
        "Platformonderhoud: vervanging van de ondertekeningssleutel {record} door operator "
        "{actor}.",
        "Maintenance de la plateforme : remplacement de la clé de signature {record} par "
        "l'opérateur {actor}.",
    ),
    PLATFORM_KEY_REVOKED: (
        "Platform maintenance: emergency rotation of the {record} signing key, every earlier "
        "key revoked at once, by operator {actor}.",
        "Platformonderhoud: dringende vervanging van de ondertekeningssleutel {record}, alle "
        "vorige sleutels onmiddellijk ingetrokken, door operator {actor}.",
        "Maintenance de la plateforme : remplacement urgent de la clé de signature {record}, "
        "toutes les clés précédentes révoquées sur-le-champ, par l'opérateur {actor}.",
    ),
    # -- notices
    RECEIPT_LISTED: (
        "{actor} viewed the delivery receipts of notices.",
        "{actor} bekeek de ontvangstbewijzen van meldingen.",
        "{actor} a consulté les accusés de remise des avis.",
    ),
    NOTICE_FAILED: (
        "{actor} could not deliver a notice to anyone ({record}); the operator was alerted.",
        "{actor} kon een melding aan niemand bezorgen ({record}); de operator werd gewaarschuwd.",
        "{actor} n'a pu remettre un avis à personne ({record}) ; l'opérateur a été alerté.",
    ),
    CONTACT_CREATED: (
        "{actor} added a contact for notices ({record}).",
        "{actor} voegde een contactpersoon voor meldingen toe ({record}).",
        "{actor} a ajouté un contact pour les avis ({record}).",
    ),
    CONTACT_DELETED: (
        "{actor} removed a contact for notices ({record}).",
        "{actor} verwijderde een contactpersoon voor meldingen ({record}).",
        "{actor} a supprimé un contact pour les avis ({record}).",
    ),
    ENDPOINT_CREATED: (
        "{actor} added a webhook endpoint ({record}).",
        "{actor} voegde een webhook-eindpunt toe ({record}).",
        "{actor} a ajouté un point de terminaison webhook ({record}).",
    ),
    ENDPOINT_UPDATED: (
        "{actor} changed the webhook endpoint {record}.",
        "{actor} wijzigde het webhook-eindpunt {record}.",
        "{actor} a modifié le point de terminaison webhook {record}.",
    ),
    ENDPOINT_DELETED: (
        "{actor} removed the webhook endpoint {record}.",
        "{actor} verwijderde het webhook-eindpunt {record}.",
        "{actor} a supprimé le point de terminaison webhook {record}.",
    ),
    ENDPOINT_DISABLED: (
        "The webhook endpoint {record} was disabled after repeated failures ({actor}).",
        "Het webhook-eindpunt {record} werd uitgeschakeld na herhaalde fouten ({actor}).",
        "Le point de terminaison webhook {record} a été désactivé après des échecs répétés "
        "({actor}).",
    ),
    RECIPIENT_LISTED: (
        "{actor} viewed who receives notices.",
        "{actor} bekeek wie meldingen ontvangt.",
        "{actor} a consulté qui reçoit les avis.",
    ),
    PREFERENCE_UPDATED: (
        "{actor} changed their notice preferences.",
        "{actor} wijzigde de eigen voorkeuren voor meldingen.",
        "{actor} a modifié ses préférences pour les avis.",
    ),
    ORGANISATION_SETTINGS_UPDATED: (
        "{actor} changed the organisation's notice settings.",
        "{actor} wijzigde de instellingen voor meldingen van de organisatie.",
        "{actor} a modifié les paramètres des avis de l'organisation.",
    ),
    NOTICE_ISSUED: (
        "A notice was issued ({record}) ({actor}).",
        "Er werd een melding uitgegeven ({record}) ({actor}).",
        "Un avis a été émis ({record}) ({actor}).",
    ),
    DELIVERY_DELIVERED: (
        "A notice was delivered ({record}) ({actor}).",
        "Een melding werd afgeleverd ({record}) ({actor}).",
        "Un avis a été remis ({record}) ({actor}).",
    ),
    DELIVERY_FAILED: (
        "A notice could not be delivered ({record}) ({actor}).",
        "Een melding kon niet worden afgeleverd ({record}) ({actor}).",
        "Un avis n'a pas pu être remis ({record}) ({actor}).",
    ),
    DELIVERY_REQUESTED: (
        "{actor} asked for a notice to be delivered again ({record}).",
        "{actor} vroeg om een melding opnieuw af te leveren ({record}).",
        "{actor} a demandé qu'un avis soit remis à nouveau ({record}).",
    ),
    NOTICE_ACKNOWLEDGED: (
        "{actor} acknowledged the notice {record}.",
        "{actor} bevestigde de ontvangst van de melding {record}.",
        "{actor} a accusé réception de l'avis {record}.",
    ),
    INBOX_ITEM_UPDATED: (
        "{actor} marked an item in their inbox ({record}).",
        "{actor} markeerde een bericht in de eigen inbox ({record}).",
        "{actor} a marqué un élément de sa boîte de réception ({record}).",
    ),
    NOTIFIER_RETENTION_EXPIRED: (
        "{actor} removed the addresses and texts of notices past their retention period; the "
        "evidence of their delivery is kept.",
        "{actor} verwijderde de adressen en teksten van berichten waarvan de bewaartermijn "
        "verstreken is; het bewijs van hun bezorging blijft bewaard.",
        "{actor} a supprimé les adresses et les textes des notifications dont le délai de "
        "conservation a expiré ; la preuve de leur remise est conservée.",
    ),
}

_WORDS: dict[str, tuple[str, str, str]] = {
    "system": ("the pactum system", "het pactum-systeem", "le système pactum"),
    "user": ("user {id}", "gebruiker {id}", "l'utilisateur {id}"),
    "someone": (
        "someone at {organisation}",
        "iemand van {organisation}",
        "quelqu'un chez {organisation}",
    ),
    "supplier": (
        "supplier intervention",
        "tussenkomst van de leverancier",
        "intervention du fournisseur",
    ),
    "grant": ("under grant {grant}", "onder machtiging {grant}", "sous l'autorisation {grant}"),
    "denied": (" (refused)", " (geweigerd)", " (refusé)"),
    "failed": (" (failed)", " (mislukt)", " (échoué)"),
    "unknown": (
        "{actor} caused an event of type {type}.",
        "{actor} veroorzaakte een gebeurtenis van het type {type}.",
        "{actor} a causé un événement de type {type}.",
    ),
    "nothing": ("(no record)", "(geen dossier)", "(aucun dossier)"),
}
_INDEX = {"en": 0, "nl": 1, "fr": 2}

# Kinds whose sentence already says that it failed: no "(failed)" after it.
TOLD_FAILED = frozenset(
    {
        LOGIN_FAILED,
        DELIVERY_FAILED,
        AGREEMENT_VIEW_DENIED,
        AGREEMENT_CHANGE_DENIED,
        USER_VIEW_DENIED,
        USER_CHANGE_DENIED,
        ORGANISATION_VIEW_DENIED,
        ORGANISATION_CHANGE_DENIED,
        GRANT_CHANGE_DENIED,
        MAINTENANCE_NOTICE_CHANGE_DENIED,
        PASSKEY_CHANGE_DENIED,
        SESSION_CHANGE_DENIED,
        IDENTITY_GRANT_USE_DENIED,
        AGREEMENTS_GRANT_USE_DENIED,
        AUDIT_GRANT_USE_DENIED,
        NOTIFIER_GRANT_USE_DENIED,
    }
)


def _word(key: str, language: Language) -> str:
    return _WORDS[key][_INDEX[language]]


@dataclass(frozen=True)
class Told:
    """What a sentence is built from: the entry's fields and its opened names (if any)."""

    event_type: str
    actor_id: str
    actor_type: str
    outcome: str = "succeeded"
    actor_name: str | None = None
    actor_organisation_name: str | None = None
    supplier_intervention: bool = False
    grant_id: str | None = None
    record: str | None = None
    pseudonym: str | None = None


def language_of(asked: str | None, accept_language: str | None = None) -> Language:
    """The language asked for (a ``lang`` parameter), else the first of ``Accept-Language`` this
    log speaks (``nl-BE``, ``fr;q=0.8``...), else English."""
    if asked:
        primary = asked.strip().lower()[:2]
        if primary in _INDEX:
            return primary  # type: ignore[return-value]
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            quality = 0.0
        primary = tag.strip().lower()[:2]
        if primary in _INDEX and quality > 0:
            ranked.append((-quality, order, primary))
    if ranked:
        return min(ranked)[2]  # type: ignore[return-value]
    return DEFAULT_LANGUAGE


def actor_phrase(told: Told, language: Language) -> str:
    """Who acted: "Jan Peeters (iBeauty BVBA, supplier intervention under grant …)"."""
    if told.actor_type == "system" or told.actor_id.startswith("system:"):
        return _word("system", language)
    organisation = told.actor_organisation_name
    details = [organisation] if organisation else []
    if told.actor_name or told.pseudonym:
        who = str(told.actor_name or told.pseudonym)
    elif organisation:
        who, details = _word("someone", language).format(organisation=organisation), []
    else:
        who = _word("user", language).format(id=told.actor_id)
    if told.supplier_intervention:
        intervention = _word("supplier", language)
        if told.grant_id:
            intervention += " " + _word("grant", language).format(grant=told.grant_id)
        details.append(intervention)
    return f"{who} ({', '.join(details)})" if details else who


def sentence(told: Told, language: Language = DEFAULT_LANGUAGE) -> str:
    """The entry as one sentence in ``language``."""
    actor = actor_phrase(told, language)
    record = f"'{told.record}'" if told.record else _word("nothing", language)
    templates = TEMPLATES.get(told.event_type)
    if templates is None:
        text = _word("unknown", language).format(actor=actor, type=told.event_type)
    else:
        text = templates[_INDEX[language]].format(actor=actor, record=record)
    if told.outcome in ("denied", "failed") and told.event_type not in TOLD_FAILED:
        text = text[:-1] + _word(told.outcome, language) + text[-1]
    named = told.actor_name or told.pseudonym
    if named and text.startswith(named):
        return text  # a name or pseudonym is shown as it is written
    return text[:1].upper() + text[1:]
